"""Deciding the same due proposals from real, separate processes: three
`flask --app commons governance tick` commands and a worker, all at once,
on the suite's database (SQLite, or PostgreSQL when
COMMONS_TEST_DATABASE_URI names one). Threads in one process would prove
nothing here: a process-local lock in place of the database claim passes a
threaded test, and only processes show the claim holds where production
runs it.

The proposals were opened a week before the real clock (the ticks and the
worker read it), so whatever the date, they are all due."""

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.governance import services
from commons.governance.closing import DECIDE
from commons.governance.models import Proposal, TimelineEvent
from commons.jobs import queue_of
from commons.projects import joining
from commons.projects.models import Membership
from commons.types import utcnow
from tests.governance.conftest import Scene, git
from tests.jobs.test_queue import start_worker, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
DECISIONS, BLOCKED, NEWCOMERS, MERGES = 24, 8, 6, 4
TICK = "commons-governance-tick"


class Then:
    """A clock stopped a week ago, to open proposals that are due now."""

    def __init__(self):
        self.now = (utcnow() - timedelta(days=7)).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def queued(make_app, tmp_path):
    clock = Then()
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test",
                   QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    with app.app_context():
        yield Scene(app, tmp_path, clock)
        queue_of().huey.flush()


class Gate:
    """Holds the proposals table so the deciders, which start one after the
    other, all read the due proposals at the same moment once it opens:
    without it the first tick often decides everything before the others
    have started, and a claim that does not hold goes unnoticed."""

    def __init__(self, uri: str):
        self.uri, self.seen = uri, Counter()
        if uri.startswith("postgresql"):
            self.engine = sa.create_engine(uri)
            self.connection = self.engine.connect()
            self.connection.execute(sa.text("LOCK TABLE proposals IN ACCESS EXCLUSIVE MODE"))
        else:  # SQLite: an exclusive lock keeps even readers out
            self.path = sa.engine.make_url(uri).database
            self.sqlite = sqlite3.connect(self.path, isolation_level=None)
            self.sqlite.execute("BEGIN EXCLUSIVE")

    def wait_for(self, processes: list[subprocess.Popen], logs: str) -> None:
        """Until each process waits at the gate (or reads the database)."""
        deadline = time.monotonic() + 120
        while not self._all_waiting(processes):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                self.open()
                raise AssertionError(f"the deciders never reached the database ({self.seen}):"
                                     f"\n{logs}")
            time.sleep(0.05)

    def _all_waiting(self, processes: list[subprocess.Popen]) -> bool:
        if self.uri.startswith("postgresql"):
            # The gate's transaction would see pg_stat_activity as it first read it.
            self.connection.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
            names = Counter(self.connection.scalars(sa.text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE NOT l.granted AND l.relation = 'proposals'::regclass")))
            self.seen = names.copy()
            ticks = len(processes) - 1  # and the worker, whose threads are not named
            return names.pop(TICK, 0) == ticks and sum(names.values()) >= 1
        return all(_has_open(process.pid, self.path) for process in processes)

    def open(self) -> None:
        if self.uri.startswith("postgresql"):
            self.connection.commit()
            self.connection.close()
            self.engine.dispose()
        else:
            self.sqlite.execute("COMMIT")
            self.sqlite.close()


def _has_open(pid: int, path: str) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == os.path.realpath(path) for fd in folder.iterdir())
    except OSError:
        return False


def run_tick(app, tmp_path: Path, number: int) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "COMMONS_REPOS_DIR": app.config["REPOS_DIR"],
           "COMMONS_QUEUE_URL": app.config["QUEUE_URL"],
           "COMMONS_BASE_URL": "http://commons.test",
           "PGAPPNAME": TICK}  # so the gate knows them
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "commons", "governance",
                             "tick"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_three_ticks_and_a_worker_decide_each_due_proposal_once(queued, tmp_path):
    scene = queued
    alice, bob, carol = scene.person("alice"), scene.person("bob"), scene.person("carol")
    project = scene.project(alice, admission="consent")
    for person in (bob, carol):
        # Members before the proposals open (consent admission: by hand here).
        db.session.add(Membership(project=project, user=person, status=Membership.MEMBER,
                                  requested_at=scene.clock(), joined_at=scene.clock()))
    db.session.commit()
    settings = services.Settings.from_config(scene.app.config)
    expected: dict[int, str] = {}
    for n in range(MERGES):
        git("checkout", "-q", "-B", f"part-{n}", "origin/main", cwd=scene.work)  # side by side
        scene.commit(f"part-{n}.txt", f"part {n}\n", f"Part {n}", "bob", f"part-{n}")
        proposal = services.open_proposal(db.session, project, bob, "merge", f"Part {n}", "",
                                          {"branch": f"part-{n}"}, settings, scene.clock())
        expected[proposal.id] = "passed"
    for n in range(DECISIONS):
        proposal = services.open_proposal(db.session, project, alice, "decision",
                                          f"Decision {n}", "", {}, settings, scene.clock())
        expected[proposal.id] = "passed"
    for n in range(BLOCKED):
        proposal = services.open_proposal(db.session, project, alice, "decision",
                                          f"Contested {n}", "", {}, settings, scene.clock())
        services.take_stance(db.session, proposal, carol, "object", "Not this", scene.clock())
        expected[proposal.id] = "blocked"
    db.session.commit()
    newcomers = [scene.person(f"newcomer{n}") for n in range(NEWCOMERS)]
    for person in newcomers:
        _, proposal = joining.join_or_ask(db.session, project, person, settings, scene.clock())
        expected[proposal.id] = "passed"
    db.session.commit()
    due = len(expected)
    huey = queue_of().huey
    # One job for each close (closes in the past are put straight in line);
    # the objections' notices wait beside them as their own jobs.
    assert sum(task.name == DECIDE for task in (*huey.pending(), *huey.scheduled())) == due

    project_id, newcomer_ids = project.id, [person.id for person in newcomers]
    db.session.remove()
    gate = Gate(scene.app.config["SQLALCHEMY_DATABASE_URI"])
    worker = start_worker(scene.app, tmp_path)
    ticks = [run_tick(scene.app, tmp_path, n) for n in range(3)]
    try:
        gate.wait_for([worker, *ticks], (tmp_path / "worker.log").read_text())
        gate.open()
        outputs = [tick.communicate(timeout=300)[0] for tick in ticks]
        for tick, output in zip(ticks, outputs, strict=True):
            assert tick.returncode == 0, output
        wait_for(lambda: not services.due(db.session, utcnow()), tmp_path,
                 "deciding every due proposal")
    finally:
        for tick in ticks:
            tick.kill() if tick.poll() is None else None
        stop(worker)

    by_ticks = sum(int(re.search(r"Decided (\d+) proposals?\.", out)[1]) for out in outputs)
    # Distinct ids: a log line may reach the file through two handlers.
    by_worker = len(set(re.findall(r"decided proposal (\d+) ",
                                   (tmp_path / "worker.log").read_text())))
    assert by_ticks + by_worker == due, (outputs, by_worker)

    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Proposal.id, Proposal.status)).all())
    assert statuses == expected, db.session.execute(
        sa.select(Proposal.id, Proposal.outcome).where(Proposal.status == "failed")).all()
    texts = db.session.scalars(sa.select(TimelineEvent).where(
        sa.or_(TimelineEvent.text.startswith("Passed"), TimelineEvent.text.startswith("Blocked")))
    ).all()
    assert Counter(event.proposal_id for event in texts) == Counter(dict.fromkeys(expected, 1))
    merges = git("rev-list", "--merges", "main", cwd=scene.repo).split()
    assert len(merges) == MERGES  # each merge carried out once
    outcomes = db.session.scalars(sa.select(Proposal.outcome).where(Proposal.kind == "merge"))
    assert all(outcome.startswith("Merged ") for outcome in outcomes)
    for person_id in newcomer_ids:
        rows = db.session.scalars(sa.select(Membership).where(
            Membership.project_id == project_id, Membership.user_id == person_id)).all()
        assert [row.status for row in rows] == [Membership.MEMBER]
