"""The production layout in one test: two gunicorn instances and a worker
on one PostgreSQL, one Redis (queue and rate limits) and one repository
folder. People push, pledge and propose through both instances at once;
afterwards every push is recorded once, every commit indexed, every
proposal decided once, every pledge in the journal once, the chain intact
and the repository consistent."""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from commons.extensions import db
from commons.git.models import Commit, Push, PushedRef
from commons.governance.models import Proposal, TimelineEvent
from commons.ledger.models import Pledge
from tests.conftest import TEST_PASSWORD, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = ("alice", "bob", "carol")
PUSHES_EACH = 4
PLEDGES = 20
PROPOSALS = 6
WINDOW = 5  # seconds: proposals close while the test watches

pytestmark = pytest.mark.skipif(
    not os.environ.get("COMMONS_TEST_DATABASE_URI", "").startswith("postgresql"),
    reason="the production layout runs on PostgreSQL: the PostgreSQL pass of .ci/run runs it")


@pytest.fixture
def layout(make_app, database_uri, tmp_path, redis_url):
    name = f"two-{uuid.uuid4().hex}"
    env = {"COMMONS_QUEUE_URL": redis_url, "COMMONS_QUEUE_NAME": name,
           "COMMONS_RATELIMIT_STORAGE_URI": redis_url,
           "COMMONS_LOGIN_RATE_LIMIT": "1000 per minute",
           "COMMONS_ACCOUNT_LOGIN_RATE_LIMIT": "1000 per minute",
           "COMMONS_MIN_REVIEW_WINDOW": str(WINDOW),
           "COMMONS_DEFAULT_REVIEW_WINDOW": str(WINDOW)}
    app = make_app(QUEUE_URL=redis_url, QUEUE_NAME=name, MIN_REVIEW_WINDOW=WINDOW,
                   DEFAULT_REVIEW_WINDOW=WINDOW)
    first, a, _ = start_server(database_uri, tmp_path, env, workers=2, threads=4)
    second, b, _ = start_server(database_uri, tmp_path, env, workers=2, threads=4)
    worker_env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
                  **env, "COMMONS_SQLALCHEMY_DATABASE_URI": database_uri,
                  "COMMONS_REPOS_DIR": str(tmp_path / "repos"),
                  "COMMONS_EVIDENCE_DIR": str(tmp_path / "evidence"),
                  "COMMONS_SECRET_KEY": "e2e-secret"}
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "commons", "worker"],
                                  cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield app, (a, b), tmp_path
    finally:
        worker.terminate()
        worker.wait(20)
        stop_server(first)
        stop_server(second)
        with app.app_context():
            from commons.jobs import queue_of
            queue_of().huey.flush()


def git(*args, cwd: Path) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd), "PATH": os.environ["PATH"],
           "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_two_instances_and_a_worker_lose_and_double_nothing(layout):
    app, (a, b), folder = layout
    runner = app.test_cli_runner()
    tokens = {}
    for person in PEOPLE:
        made = runner.invoke(args=["users", "create", person, f"{person}@example.org",
                                   "--password", TEST_PASSWORD])
        assert made.exit_code == 0, made.output
        answer = requests.post(f"{a}/api/v1/tokens", json={"name": "two"},
                               auth=(person, TEST_PASSWORD), timeout=30)
        assert answer.status_code == 201, answer.text
        tokens[person] = answer.json()["token"]

    def api(base: str, person: str, path: str, body: dict) -> dict:
        answer = requests.post(f"{base}/api/v1{path}", json=body, timeout=60,
                               headers={"Authorization": f"Bearer {tokens[person]}"})
        assert answer.status_code in (200, 201, 202), (path, answer.text)
        return answer.json()

    api(a, "alice", "/projects", {"name": "Dryer", "slug": "dryer", "license": "MIT",
                                  "policy": {"push": "direct", "review_window": WINDOW}})
    for person, base in (("bob", b), ("carol", a)):
        api(base, person, "/projects/dryer/join", {})
    need = api(b, "alice", "/projects/dryer/inputs",
               {"title": "Screws", "kind": "material", "quantity": "1000", "unit": "piece"})

    pushed: dict[str, list[str]] = {}
    failures: list[BaseException] = []

    def pushes(person: str) -> None:
        work = folder / f"work-{person}"
        git("clone", "-q", f"{a}/projects/dryer.git", str(work), cwd=folder)
        git("config", "user.name", person, cwd=work)
        git("config", "user.email", f"{person}@example.org", cwd=work)
        shas = pushed.setdefault(person, [])
        for number in range(PUSHES_EACH):
            (work / f"{person}.txt").write_text(f"{person} {number}\n")
            git("add", ".", cwd=work)
            git("commit", "-q", "-m", f"{person} {number}", cwd=work)
            base = (a, b)[number % 2]
            url = f"{base.replace('http://', f'http://{person}:{tokens[person]}@')}/projects/dryer.git"
            git("push", "-q", url, f"HEAD:refs/heads/{person}-work", cwd=work)
            shas.append(git("rev-parse", "HEAD", cwd=work).strip())

    def pledges(person: str, count: int) -> None:
        for number in range(count):
            api((a, b)[number % 2], person, f"/projects/dryer/inputs/{need['number']}/pledges",
                {"quantity": "1"})

    def proposals(base: str, count: int) -> None:
        for number in range(count):
            api(base, "alice", "/projects/dryer/proposals",
                {"kind": "decision", "title": f"Decision {base[-5:]} {number}"})

    def guarded(target, *args):
        def run():
            try:
                target(*args)
            except BaseException as error:  # reported below, with the others
                failures.append(error)
        return threading.Thread(target=run)

    threads = [guarded(pushes, person) for person in PEOPLE]
    threads += [guarded(pledges, "bob", PLEDGES // 2), guarded(pledges, "carol", PLEDGES // 2)]
    threads += [guarded(proposals, a, PROPOSALS // 2), guarded(proposals, b, PROPOSALS // 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    expected = {(f"refs/heads/{person}-work", sha) for person, shas in pushed.items()
                for sha in shas}

    def settled() -> bool:
        db.session.rollback()
        recorded = db.session.execute(sa.select(PushedRef.ref, PushedRef.new_sha)).all()
        open_ = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)
                                  .where(Proposal.status == "open"))
        return expected <= set(recorded) and open_ == 0

    with app.app_context():
        deadline = time.monotonic() + 120
        while not settled():
            if time.monotonic() > deadline:
                raise AssertionError("the worker did not catch up:\n"
                                     + (folder / "worker.log").read_text()[-5000:])
            time.sleep(0.5)
        time.sleep(2)  # anything doubled would land now

        recorded = db.session.execute(sa.select(PushedRef.ref, PushedRef.new_sha)).all()
        assert sorted(recorded) == sorted(expected)  # each push once
        users = dict(db.session.execute(sa.select(PushedRef.new_sha, Push.user_id)
                                        .join(Push, Push.id == PushedRef.push_id)).all())
        assert None not in {users[sha] for _, sha in expected}
        indexed = set(db.session.scalars(sa.select(Commit.sha)))
        assert {sha for _, sha in expected} <= indexed

        decided = db.session.execute(
            sa.select(TimelineEvent.proposal_id, sa.func.count())
            .where(TimelineEvent.text.like("Passed%")).group_by(TimelineEvent.proposal_id)).all()
        assert len(decided) == PROPOSALS and {count for _, count in decided} == {1}

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == PLEDGES
    verified = runner.invoke(args=["ledger", "verify", "dryer"])
    assert verified.exit_code == 0, verified.output
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=folder / "repos" / "dryer.git",
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
