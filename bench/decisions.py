"""Decisions at their close: 1,000 proposals closing within the same minute,
decided by a real worker (`flask --app commons worker`) from the jobs their
opening scheduled, while commons under gunicorn serves pages to a reader.

    .venv/bin/python bench/decisions.py [--postgres postgresql+psycopg://...] [--redis redis://...]

Prints the decision latency after each close (decided_at - closes_at:
p50, p99, max; target p99 <= 5 s) and the pages' p99 while the decisions
are carried out against the same pages read idle. SQLite and the SQLite
queue by default, as `make run`; the PostgreSQL database named is emptied,
and the Redis queue gets a name of its own.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BIN, ROOT, empty_database, free_port, remove, scratch, wait_for  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.governance.closing import DECIDE  # noqa: E402
from commons.governance.models import Proposal, Stance  # noqa: E402
from commons.jobs import queue_of, schedule  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.types import utcnow  # noqa: E402

PROPOSALS, MEMBERS, BLOCKED_EVERY = 1000, 5, 10


def fill(app, first_close, spread: float) -> None:
    """A project with a few members and PROPOSALS open decisions closing
    over *spread* seconds from *first_close* (one in BLOCKED_EVERY with an
    objection), each with its job scheduled at its close, as opening does."""
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        now = utcnow()
        db.session.execute(sa.insert(User), [
            {"username": f"member{n}", "password_hash": "x", "created_at": now}
            for n in range(MEMBERS)])
        db.session.commit()
        founder = db.session.scalar(sa.select(User).where(User.username == "member0"))
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Bench", slug="bench", license="MIT"), projects.Settings.from_config(app.config),
            now)
        db.session.commit()
        others = list(db.session.scalars(sa.select(User.id).where(User.id != founder.id)))
        db.session.execute(sa.insert(Membership), [
            {"project_id": project.id, "user_id": uid, "status": "member", "requested_at": now,
             "joined_at": now} for uid in others])
        closes = [first_close + timedelta(seconds=spread * n / PROPOSALS)
                  for n in range(PROPOSALS)]
        db.session.execute(sa.insert(Proposal), [
            {"project_id": project.id, "number": n + 1, "kind": "decision",
             "title": f"Decision {n + 1}", "body": "", "author_id": founder.id,
             "status": "open", "voting": "consensus", "revision": 1, "opened_at": now,
             "closes_at": closes[n], "details": {}, "outcome": "", "result": {},
             "affected_complete": True} for n in range(PROPOSALS)])
        rows = db.session.execute(sa.select(Proposal.id, Proposal.number, Proposal.closes_at)
                                  .order_by(Proposal.number)).all()
        db.session.execute(sa.insert(Stance), [
            {"proposal_id": pid, "user_id": others[0], "stance": "object", "reason": "No",
             "revision": 1, "taken_at": now} for pid, number, _ in rows
            if number % BLOCKED_EVERY == 0])
        db.session.commit()
        for pid, _, closes_at in rows:
            schedule(DECIDE, closes_at, proposal_id=pid)
        db.engine.dispose()


class Reader(threading.Thread):
    """Reads pages one after the other, keeping (started at, seconds)."""

    def __init__(self, urls: list[str]):
        super().__init__(daemon=True)
        self.urls, self.times, self.stopping = urls, [], threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            url = self.urls[n % len(self.urls)]
            n += 1
            start_wall, start = time.time(), time.perf_counter()
            try:
                urllib.request.urlopen(url, timeout=30).read()
            except OSError as error:
                print(f"  read failed: {url}: {error}")
                continue
            self.times.append((start_wall, time.perf_counter() - start))

    def between(self, start: float, end: float) -> list[float]:
        return [seconds for at, seconds in self.times if start <= at < end]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--redis", default=None, help="a Redis URL for the queue")
    parser.add_argument("--spread", type=float, default=60.0,
                        help="seconds over which the closes fall (default: one minute)")
    parser.add_argument("--lead", type=float, default=40.0,
                        help="seconds from the start to the first close (the idle reads)")
    args = parser.parse_args()
    work = scratch("commons-bench-decisions-")
    processes: list[subprocess.Popen] = []
    try:
        uri = f"sqlite:///{work}/commons.sqlite3"
        if args.postgres:
            empty_database(args.postgres)
            uri = args.postgres
        queue = args.redis or f"sqlite:///{work}/jobs.sqlite3"
        name = f"bench-{uuid.uuid4().hex[:8]}"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
               "COMMONS_SQLALCHEMY_DATABASE_URI": uri, "COMMONS_REPOS_DIR": str(work / "repos"),
               "COMMONS_SECRET_KEY": "bench", "COMMONS_QUEUE_URL": queue,
               "COMMONS_QUEUE_NAME": name}
        app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                          "REPOS_DIR": str(work / "repos"), "QUEUE_URL": queue,
                          "QUEUE_NAME": name})
        first_close = utcnow() + timedelta(seconds=args.lead)
        fill(app, first_close, args.spread)
        print(f"{PROPOSALS} proposals close over {args.spread:.0f} s from {first_close:%H:%M:%S}"
              f" (database {'PostgreSQL' if args.postgres else 'SQLite'}, queue "
              f"{'Redis' if args.redis else 'SQLite'})")

        port = free_port()
        with open(work / "gunicorn.log", "w") as log:
            processes.append(subprocess.Popen(
                [str(BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "2",
                 "--threads", "8", "--bind", f"127.0.0.1:{port}", "commons:create_app()"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        with open(work / "worker.log", "w") as log:
            processes.append(subprocess.Popen(
                [str(BIN / "flask"), "--app", "commons", "worker"], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/projects")
        reader = Reader([f"{base}/projects/bench", f"{base}/projects/bench/proposals",
                         f"{base}/projects/bench/proposals/{PROPOSALS // 2}",
                         f"{base}/api/v1/projects/bench/proposals/{PROPOSALS // 3}"])
        reader.start()
        idle_from = time.time()

        count = sa.select(sa.func.count()).select_from(Proposal).where(Proposal.status == "open")
        deadline = first_close.timestamp() + args.spread + 300
        with app.app_context():
            while time.time() < deadline:
                if db.session.scalar(count) == 0:
                    break
                db.session.rollback()
                time.sleep(0.5)
            done_at = time.time()
            reader.stopping.set()
            reader.join(60)
            rows = db.session.execute(sa.select(Proposal.closes_at, Proposal.decided_at,
                                                Proposal.status)).all()
            db.engine.dispose()
        undecided = [r for r in rows if r.decided_at is None]
        latency = [(r.decided_at - r.closes_at).total_seconds() for r in rows
                   if r.decided_at is not None]
        print(f"decided {len(latency)} of {PROPOSALS} "
              f"({sum(r.status == 'blocked' for r in rows)} blocked); undecided {len(undecided)}")
        late = sorted(((r.decided_at - r.closes_at).total_seconds(), r.closes_at, r.status)
                      for r in rows if r.decided_at is not None)[-15:]
        if os.environ.get("BENCH_VERBOSE"):
            for row in late:
                print("  late:", row)
        if latency:
            print(f"decision latency after the close: p50 {statistics.median(latency):.2f} s, "
                  f"p99 {percentile(latency, 0.99):.2f} s, max {max(latency):.2f} s "
                  f"(target p99 <= 5 s)")
        idle = reader.between(idle_from + 2, first_close.timestamp())
        busy = reader.between(first_close.timestamp(), done_at)
        for label, values in (("idle", idle), ("while deciding", busy)):
            if values:
                print(f"pages {label}: p50 {statistics.median(values) * 1000:.0f} ms, "
                      f"p99 {percentile(values, 0.99) * 1000:.0f} ms over {len(values)} reads")
        with app.app_context():
            queue_of(app).huey.flush()
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT if process is processes[-1] else signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        remove(work)


if __name__ == "__main__":
    main()
