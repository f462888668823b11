"""A planning round with 500 requesting projects on one pool: how long an
iteration's close takes (the contested first close, and the last one that
settles the round), how long the job that then writes the allocation (500
pledges in 500 journals) takes, and the round page's time to render.

    .venv/bin/python bench/pools.py [--database-uri postgresql+psycopg://...] [--projects 500]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Targets (issue 19): an iteration closes in <= 1 s; the round page
renders in <= 100 ms median.

People, projects and memberships are bulk-inserted; every need, pool,
round and request goes through the real services, and the closes are
the worker's own `close_due_iterations`. --rounds pools are built, each
opened an hour after the last, so each close is measured on its own. The
queue is Redis (--queue-url, emptied first), so the allocation job a last
close enqueues waits, and is timed apart: `allocate_round`, as the worker
runs it.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import empty_database, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import Email, User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.ledger import services as ledger  # noqa: E402
from commons.pools import services  # noqa: E402
from commons.pools.allocating import allocate_round  # noqa: E402
from commons.pools.models import PoolRound  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership, Project  # noqa: E402
from commons.types import utcnow  # noqa: E402

DAY = 86400


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def setup(app, count: int, now) -> tuple[User, list[tuple[Project, User]]]:
    """*count* projects, each with one member and one need for workshop
    hours, and the steward who offers the pools."""
    from flask_migrate import upgrade
    upgrade()
    db.session.execute(sa.insert(User), [{"username": f"person{n}", "password_hash": "x",
                                          "created_at": now} for n in range(count + 1)])
    steward = db.session.scalar(sa.select(User).where(User.username == "person0"))
    db.session.add(Email(user=steward, address="person0@example.org", created_at=now))
    settings = projects.Settings.from_config(app.config)
    founder = projects.create_project(db.session, steward, projects.NewProject(
        name="Template", slug="template", license="CERN-OHL-S-2.0"), settings, now)
    db.session.flush()
    columns = {c: getattr(founder, c) for c in ("license", "default_branch", "admission",
                                                "push_policy", "outside", "review_window",
                                                "notify_outside_authors", "approval_amount",
                                                "approval_currency")}
    db.session.execute(sa.insert(Project), [
        {**columns, "slug": f"project{n}", "name": f"Project {n}", "description": "",
         "created_at": now} for n in range(1, count + 1)])
    people = {u.username: u for u in db.session.scalars(sa.select(User))}
    found = list(db.session.scalars(sa.select(Project).where(Project.slug != "template")
                                    .order_by(Project.id)))
    db.session.execute(sa.insert(Membership), [
        {"project_id": project.id, "user_id": people[f"person{n}"].id, "status": "member",
         "requested_at": now, "joined_at": now} for n, project in enumerate(found, 1)])
    db.session.commit()
    pairs = [(project, people[f"person{n}"]) for n, project in enumerate(found, 1)]
    for project, member in pairs:
        ledger.record_need(db.session, project, member, ledger.NeedForm(
            title="Workshop time", kind="space", quantity="40", unit="hour"), now)
    db.session.commit()
    return steward, pairs


def build_round(steward, pairs, number: int, clock: Clock, available: Decimal) -> int:
    """A pool of *available* hours, a round of two one-day iterations, and
    a request from every project; returns the round's id."""
    pool = services.create_pool(db.session, steward, services.PoolForm(
        title=f"Workshop hours {number}", kind="resource", unit="hour",
        available=str(available)), clock())
    found = services.open_round(db.session, steward, pool, 2, DAY, clock(),
                                min_review_window=DAY)
    db.session.commit()
    for n, (project, member) in enumerate(pairs):
        services.file_request(db.session, member, found, project, str(10 + n % 30), [1],
                              f"Project {n} needs the lathe.", clock())
    db.session.commit()
    return found.id


PROFILE = False


def timed_close(now) -> tuple[float, int]:
    profiler = cProfile.Profile() if PROFILE else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    closed = services.close_due_iterations(db.session, now)
    db.session.commit()
    elapsed = time.perf_counter() - start
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return elapsed, closed


def page_times(app, url: str, runs: int) -> tuple[float, float, float, int]:
    """Median and 95th percentile of the wall time, and the median of this
    process's CPU time (what the page itself costs, less what the other
    processes of a busy machine take from it), in ms; and the size."""
    client = app.test_client()
    if PROFILE:
        profiler = cProfile.Profile()
        profiler.runcall(client.get, url)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = len(response.get_data())
    times, cpu = [], []
    for _ in range(runs):
        start, started = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - started) * 1000)
    return (statistics.median(times), statistics.quantiles(times, n=20)[18],
            statistics.median(cpu), size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--queue-url", default="redis://127.0.0.1:6379/10",
                        help="a Redis database this run may empty")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile each close and one view of the round page")
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    work = scratch("commons-bench-pools-")
    uri = args.database_uri or f"sqlite:///{work}/pools.sqlite3"
    if uri.startswith("postgresql"):
        empty_database(uri)
    import redis
    redis.Redis.from_url(args.queue_url).flushdb()
    t0 = utcnow().replace(microsecond=0)
    clock = Clock(t0)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                      "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence"),
                      "CLOCK": clock, "QUEUE_URL": args.queue_url,
                      "MIN_REVIEW_WINDOW": DAY})
    try:
        with app.app_context():
            database = db.engine.dialect.name
            start = time.perf_counter()
            steward, pairs = setup(app, args.projects, t0)
            print(f"{database}: {args.projects} projects with a need each in "
                  f"{time.perf_counter() - start:.1f} s; load average "
                  f"{os.getloadavg()[0]:.2f}")
            rounds = []
            for k in range(args.rounds):
                clock.now = t0 + timedelta(hours=k, minutes=1)
                # Requests average 24.5 hours: the pool holds a third of them.
                start = time.perf_counter()
                rounds.append(build_round(steward, pairs, k + 1, clock,
                                          Decimal(8 * args.projects)))
                print(f"  round {k + 1}: {args.projects} requests filed through the services "
                      f"in {time.perf_counter() - start:.1f} s")
            if database == "postgresql":
                db.session.commit()
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                        sa.text("ANALYZE"))
            first_round = db.session.get(PoolRound, rounds[0])
            url = f"/pools/{first_round.pool_id}/rounds/{first_round.number}"
            db.session.remove()
        median, p95, cpu, size = page_times(app, url, args.runs)
        print(f"  round page, iteration 1 open, {args.projects} requests ({size // 1024} KiB): "
              f"median {median:.1f} ms, p95 {p95:.1f} ms, CPU median {cpu:.1f} ms "
              f"over {args.runs} runs")
        firsts, lasts, jobs = [], [], []
        with app.app_context():
            for k in range(args.rounds):
                elapsed, closed = timed_close(t0 + timedelta(days=1, hours=k, minutes=2))
                assert closed == 1, closed
                firsts.append(elapsed)
            db.session.remove()
        median, p95, cpu, size = page_times(app, url, args.runs)
        print(f"  round page, iteration 1 published, 2 open ({size // 1024} KiB): "
              f"median {median:.1f} ms, p95 {p95:.1f} ms, CPU median {cpu:.1f} ms "
              f"over {args.runs} runs")
        with app.app_context():
            for k in range(args.rounds):
                elapsed, closed = timed_close(t0 + timedelta(days=2, hours=k, minutes=3))
                assert closed == 1, closed
                lasts.append(elapsed)
            for round_id in rounds:
                start = time.perf_counter()
                allocate_round(db.session, round_id, t0 + timedelta(days=2, hours=3))
                jobs.append(time.perf_counter() - start)
            settled = db.session.scalar(sa.select(sa.func.count()).select_from(PoolRound)
                                        .where(PoolRound.status == "allocated"))
            db.session.remove()
        median, p95, cpu, size = page_times(app, url, args.runs)
        print(f"  round page, allocated ({size // 1024} KiB): median {median:.1f} ms, "
              f"p95 {p95:.1f} ms, CPU median {cpu:.1f} ms over {args.runs} runs")
        print(f"  first close (contested, {args.projects} requests carried on): "
              + ", ".join(f"{t * 1000:.0f} ms" for t in firsts))
        print("  last close (the proportional cut decided, the allocation job enqueued): "
              + ", ".join(f"{t * 1000:.0f} ms" for t in lasts))
        print(f"  allocation job ({args.projects} pledges in {args.projects} journals): "
              + ", ".join(f"{t:.1f} s" for t in jobs) + f"; {settled} rounds allocated")
        print(f"  load average after: {os.getloadavg()[0]:.2f}")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
