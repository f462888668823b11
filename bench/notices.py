"""Opening a proposal that must tell many people: a project with MEMBERS
members and a licence-change proposal affecting AUTHORS commit authors
(each with an account, none a member), opened through the API. Every
notice is recorded in the request (one insert); mails are only queued for
after the commit (a SQLite job queue, no worker), so the request pays for
recording, not for sending.

    .venv/bin/python bench/notices.py [--members 2000] [--authors 500] [--runs 5]

Prints the median request time of opening it (target: at most 1 s) and how
many notices each run recorded, on SQLite, and on PostgreSQL too when
COMMONS_BENCH_DATABASE_URI names one (that database is emptied). No
assertions: it prints numbers.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import GIT_ENV, empty_database, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts import services as accounts  # noqa: E402
from commons.accounts.models import Email, User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.governance import services as governance  # noqa: E402
from commons.governance.models import Proposal  # noqa: E402
from commons.notifications.models import Notification  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.types import utcnow  # noqa: E402

LICENCES = ("GPL-3.0-or-later", "Apache-2.0")


def add_authors(repo: Path, authors: int) -> None:
    """One commit on main by each of *authors* people (author<n>@example.org)."""
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    write = process.stdin.write
    for n in range(authors):
        message = f"Line {n}".encode()
        write(f"commit refs/heads/main\n"
              f"author Author {n} <author{n}@example.org> {1_700_000_000 + n} +0000\n"
              f"committer Bench <bench@example.org> {1_700_000_000 + n} +0000\n".encode())
        write(b"data %d\n%s\n" % (len(message), message))
        if n == 0:
            write(b"from refs/heads/main^0\n")
        line = f"line {n}\n".encode()
        write(f"M 100644 inline authors/{n}.txt\n".encode())
        write(b"data %d\n%s\n" % (len(line), line))
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")


def fill(app, members: int, authors: int) -> str:
    """The people, the project "bench" and its repository; returns the
    founder's token."""
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        now = utcnow()
        founder = accounts.register_user(db.session, "founder", "founder@example.org",
                                         "bench password", now)
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Bench", slug="bench", license="MIT"), projects.Settings.from_config(app.config),
            now)
        db.session.commit()
        names = [f"member{n}" for n in range(1, members)] + [f"author{n}" for n in range(authors)]
        db.session.execute(sa.insert(User), [
            {"username": name, "password_hash": "x", "created_at": now} for name in names])
        ids = dict(db.session.execute(sa.select(User.username, User.id)).all())
        db.session.execute(sa.insert(Email), [
            {"user_id": ids[name], "address": f"{name}@example.org", "created_at": now}
            for name in names])
        db.session.execute(sa.insert(Membership), [
            {"project_id": project.id, "user_id": ids[f"member{n}"], "status": "member",
             "requested_at": now, "joined_at": now} for n in range(1, members)])
        _, token = accounts.create_token(db.session, founder, "bench", now=now)
        db.session.commit()
        add_authors(Path(app.config["REPOS_DIR"]) / "bench.git", authors)
        return token


RECORDING: list[float] = []


def timed_recording() -> None:
    """Time each notify_many the receivers call (the part of the request
    that records notices)."""
    from commons.notifications import reactions
    record = reactions.notify_many

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return record(*args, **kwargs)
        finally:
            RECORDING.append(time.perf_counter() - started)
    reactions.notify_many = timed


def open_once(app, client, token: str, licence: str) -> tuple[float, float, int, int, float]:
    """Seconds the request took, of which recording the notices, the parties
    it affects, the notices it recorded, and this process's CPU seconds for
    it (on a loaded machine the wall time is mostly waiting for a core)."""
    RECORDING.clear()
    started, started_cpu = time.perf_counter(), time.process_time()
    answer = client.post("/api/v1/projects/bench/proposals",
                         headers={"Authorization": f"Bearer {token}"},
                         json={"kind": "license", "title": f"Move to {licence}",
                               "license": licence})
    took, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    if answer.status_code != 201:
        raise RuntimeError(f"{answer.status_code}: {answer.get_json()}")
    number = answer.get_json()["number"]
    with app.app_context():
        project = projects.get_project(db.session, "bench", with_members=False)
        proposal = db.session.scalar(sa.select(Proposal).where(
            Proposal.project_id == project.id, Proposal.number == number))
        assert proposal is not None
        parties = len(proposal.affected)
        recorded = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.proposal_id == proposal.id)) or 0
        # Withdrawn, so the next run may open another licence change.
        governance.withdraw_proposal(db.session, proposal, proposal.author, utcnow())
        db.session.commit()
    return took, sum(RECORDING), parties, recorded, cpu


def run(label: str, uri: str, members: int, authors: int, runs: int) -> None:
    work = scratch("commons-bench-notices-")
    try:
        if uri.startswith("postgresql"):
            empty_database(uri)
        app = create_app({
            "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
            "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence"),
            "QUEUE_URL": f"sqlite:///{work / 'jobs.sqlite3'}", "QUEUE_NAME": uuid.uuid4().hex,
            "MAIL_OUTBOX_DIR": str(work / "outbox")})
        token = fill(app, members, authors)
        client = app.test_client()
        open_once(app, client, token, LICENCES[1])  # warm up: caches, first queries
        times, recording, cpus = [], [], []
        for n in range(runs):
            took, spent, parties, recorded, cpu = open_once(app, client, token,
                                                            LICENCES[n % 2])
            times.append(took)
            recording.append(spent)
            cpus.append(cpu)
            print(f"  {label} run {n + 1}: {took * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU), of "
                  f"which {spent * 1000:.0f} ms recording {recorded} notices; {parties} "
                  "affected parties")
        median = statistics.median(times)
        print(f"{label}: opening it took {median * 1000:.0f} ms (median of {runs}; "
              f"target <= 1000 ms, ratio {median:.2f}); recording the notices "
              f"{statistics.median(recording) * 1000:.0f} ms of it; CPU median "
              f"{statistics.median(cpus) * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f}")
        with app.app_context():
            db.engine.dispose()
    finally:
        remove(work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--authors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    timed_recording()
    print(f"a project of {args.members} members; a licence change affecting {args.authors} "
          "authors (not members); everyone's mail mode is the default")
    work = scratch("commons-bench-notices-db-")
    try:
        run("SQLite", f"sqlite:///{work / 'db.sqlite3'}", args.members, args.authors, args.runs)
    finally:
        remove(work)
    if uri := os.environ.get("COMMONS_BENCH_DATABASE_URI"):
        run("PostgreSQL", uri, args.members, args.authors, args.runs)


if __name__ == "__main__":
    main()
