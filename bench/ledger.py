"""The inputs ledger with 1,000,000 journal entries: its pages and API,
appending at 1,000,000 entries against appending at 10, and
`flask --app commons ledger verify`.

    .venv/bin/python bench/ledger.py [--database-uri postgresql+psycopg://...] [--entries 1000000]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied (unless --reuse). Targets (issue 18): the ledger page median
under 40 ms on PostgreSQL; an append costs the same at 1,000,000 entries
as at 10; `ledger verify` under 10 s, and `ledger verify --since-last`
under 1 s for 10,000 new entries.

The journal is generated with the pure rules in the services' shapes and
bulk-inserted (see ledger_journal.py); `services.verify` must find it
intact before anything is measured, and again (through the CLI) after the
measured appends went through the real services.
"""

import argparse
import cProfile
import gc
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BIN, ROOT, empty_database, remove, scratch  # noqa: E402
from ledger_journal import Journal, store_balances, write_entries  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import Email, User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.ledger import services  # noqa: E402
from commons.ledger.models import Input  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.projects.rules import Threshold  # noqa: E402
from commons.types import utcnow  # noqa: E402

PEOPLE, MEMBERS = 300, 60


def setup(app) -> None:
    """300 people, 60 of them members of "big" and "small"; "small" gets
    ten entries through the services."""
    from flask_migrate import upgrade
    upgrade()
    now = utcnow()
    db.session.execute(sa.insert(User), [{"username": f"person{n}", "password_hash": "x",
                                          "created_at": now} for n in range(PEOPLE)])
    founder = db.session.scalar(sa.select(User).where(User.username == "person0"))
    db.session.add(Email(user=founder, address="person0@example.org", created_at=now))
    settings = projects.Settings.from_config(app.config)
    for slug in ("big", "small"):
        project = projects.create_project(db.session, founder, projects.NewProject(
            name=slug.title(), slug=slug, license="CERN-OHL-S-2.0",
            approval_threshold=Threshold(Decimal("500"), "EUR")), settings, now)
        db.session.flush()
        db.session.execute(sa.insert(Membership), [
            {"project_id": project.id, "user_id": uid, "status": "member", "requested_at": now,
             "joined_at": now} for uid in db.session.scalars(
                sa.select(User.id).where(User.id != founder.id).order_by(User.id).limit(MEMBERS))])
    db.session.commit()
    small = projects.get_project(db.session, "small")
    ada, bo, cy = (db.session.scalar(sa.select(User).where(User.username == f"person{n}"))
                   for n in (1, 2, 200))
    for title in ("PLA filament", "Plywood"):
        services.record_need(db.session, small, ada, services.NeedForm(
            title=title, kind="material", quantity="1000", unit="kg"), now)
    for person, number in [(cy, 1), (bo, 1), (cy, 2), (bo, 2)]:
        services.pledge(db.session, small, person, number, "2", now=now)
    services.record_receipt(db.session, small, bo, 1, "2", pledge_seq=3, now=now)
    services.record_receipt(db.session, small, bo, 2, "2", pledge_seq=5, now=now)
    services.record_consumption(db.session, small, bo, 1, "1", "prototype", now=now)
    services.log_work(db.session, small, bo, "1", "routine", "sorting", now=now)
    db.session.commit()
    assert services.head(db.session, small)[0] == 10


def generate(entries: int, inputs: int) -> tuple[int, int, dict[str, int]]:
    """The big project's journal and balances; returns (entries, inputs,
    entries by action). The generator's own bookkeeping is dropped, so the
    measurements below run in a process no bigger than a server's."""
    big = projects.get_project(db.session, "big", with_members=False)
    people = list(db.session.execute(sa.select(User.id, User.username).order_by(User.id)))
    members = [tuple(p) for p in people[1:MEMBERS + 1]]
    journal = Journal(big, members, [tuple(p) for p in people],
                      utcnow() - timedelta(days=3 * 365 + 30), seed=5)
    journal.fill(entries, inputs, write_entries)
    store_balances(big, journal, {name: uid for uid, name in people})
    return journal.seq, journal.inputs, dict(journal.counts)


def percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def measure_pages(app, runs: int, profile: bool) -> list[tuple[str, float, float, int]]:
    """GET each page *runs* times through the test client, outside any app
    context of ours, so each request opens and closes its own session."""
    with app.app_context():
        busiest = db.session.scalar(sa.text(
            "SELECT input_number FROM ledger_entries WHERE action = 'pledge' GROUP BY input_number "
            "ORDER BY count(*) DESC LIMIT 1"))
    client = app.test_client()
    pages = [("ledger page", "/projects/big/ledger"),
             ("input balances API", "/api/v1/projects/big/inputs"),
             ("journal, first page", "/projects/big/ledger/journal"),
             ("journal, ?before=10", "/projects/big/ledger/journal?before=10"),
             ("journal, ?before=51 (entries 50..1)", "/projects/big/ledger/journal?before=51"),
             ("journal API, first page", "/api/v1/projects/big/ledger"),
             (f"input page (#{busiest}, most pledges)", f"/projects/big/inputs/{busiest}"),
             ("needs board", "/needs")]
    results = []
    for name, url in pages:
        start = time.perf_counter()
        response = client.get(url)
        first = time.perf_counter() - start
        if response.status_code != 200:
            print(f"  {url}: {response.status_code}, not measured")
            continue
        size = len(response.get_data())
        if profile and name in ("ledger page", "input balances API", "needs board"):
            print(f"\n{name}, one request:")
            profiler = cProfile.Profile()
            profiler.runcall(client.get, url)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        times = []
        for _ in range(runs if first < 1 else 5):  # a page of seconds: a few runs tell
            start = time.perf_counter()
            response = client.get(url)
            response.get_data()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append((f"{name} ({size // 1024} KiB)", *percentiles(times), len(times)))
    return results


def measure_appends(app, count: int, size: str) -> list[tuple[str, float, float, int]]:
    """Real appends through the services, each committed in its own app
    context as a request would; small and big take turns."""
    with app.app_context():
        big = projects.get_project(db.session, "big", with_members=False)
        worker = db.session.scalar(sa.select(User).where(User.username == "person3"))
        fresh = services.record_need(db.session, big, worker, services.NeedForm(
            title="Bench need", kind="material", quantity="100000", unit="kg"), utcnow()).number
        db.session.commit()
        # A typical busy input: open, with room for the pledges to come, and
        # the median number of pledges among such inputs.
        room = {number for number, left in db.session.execute(
            sa.select(Input.number, Input.still_needed).where(
                Input.project_id == big.id, Input.status.in_(["approved", "pending"])))
            if left >= count}
        counts = sorted((n, c) for n, c in db.session.execute(sa.text(
            "SELECT input_number, count(*) FROM ledger_entries WHERE project_id = :p AND "
            "action = 'pledge' GROUP BY input_number"), {"p": big.id}) if n in room)
        typical, pledges = sorted(counts, key=lambda row: row[1])[len(counts) // 2]
    targets = [("pledge, small project (10 entries)", "small", 1, "pledge"),
               (f"pledge, {size} entries, new input (0 pledges)", "big", fresh, "pledge"),
               (f"pledge, {size} entries, input #{typical} ({pledges} pledges)", "big", typical,
                "pledge"),
               ("log work, small project", "small", None, "work"),
               (f"log work, {size} entries", "big", None, "work")]
    times: dict[str, list[float]] = {name: [] for name, *_ in targets}
    for _ in range(count):
        for name, slug, number, what in targets:
            with app.app_context():
                project = projects.get_project(db.session, slug, with_members=False)
                person = db.session.scalar(sa.select(User).where(
                    User.username == ("person250" if what == "pledge" else "person4")))
                start = time.perf_counter()
                if what == "pledge":
                    services.pledge(db.session, project, person, number, "1", now=utcnow())
                else:
                    services.log_work(db.session, project, person, "0.01", "routine", "bench",
                                      now=utcnow())
                db.session.commit()
                times[name].append((time.perf_counter() - start) * 1000)
    return [(name, *percentiles(values), count) for name, values in times.items()]


def append_work(app, count: int) -> None:
    """*count* work entries appended to "big" in one transaction, through
    the journal's own append and fold (what `services.log_work` does after
    its checks; a person's day holds only so many hours)."""
    from commons.ledger import journal
    with app.app_context():
        big = projects.get_project(db.session, "big", with_members=False)
        worker = db.session.scalar(sa.select(User).where(User.username == "person5"))
        held = journal.hold_journal(db.session, big)
        now = utcnow()
        for _ in range(count):
            data = {"worker": worker.username, "hours": "0.01", "category": "routine",
                    "description": "bench", "date": now.date().isoformat()}
            entry = journal.append_entry(db.session, big, held, worker, "work", data, now)
            journal.fold_entry(db.session, big, entry, data, None, now, worker=worker)
        db.session.commit()


def cpu_seconds() -> tuple[float, float]:
    """CPU (user + system) of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def cli_verify(env: dict, *options: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "flask"), "--app", "commons", "ledger", "verify", *options,
                           "big"], env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return seconds, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--appends", type=int, default=200)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile services.verify and one request of the heavy pages")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (SQLite database, repositories)")
    parser.add_argument("--since-last", type=int, default=10000, metavar="N",
                        help="after the full verify, append N entries and time `ledger "
                             "verify --since-last` (0: skip; needs a commons with it)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the journal a previous run left in --database-uri "
                             "(with --keep on SQLite) instead of building it again")
    args = parser.parse_args()
    work = scratch("commons-bench-ledger-")
    uri = args.database_uri or f"sqlite:///{work}/ledger.sqlite3"
    if args.reuse and uri.startswith("sqlite:///"):
        work = Path(uri.removeprefix("sqlite:///")).parent
    if uri.startswith("postgresql") and not args.reuse:
        empty_database(uri)
    config = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
              "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": uri, "COMMONS_REPOS_DIR": config["REPOS_DIR"],
           "COMMONS_EVIDENCE_DIR": config["EVIDENCE_DIR"], "COMMONS_SECRET_KEY": "bench"}
    try:
        app = create_app(config)
        with app.app_context():
            database = db.engine.dialect.name
            if args.reuse:
                from flask_migrate import upgrade
                upgrade()
                big = projects.get_project(db.session, "big", with_members=False)
                entries = services.head(db.session, big)[0]
                print(f"{database}: reusing {entries:,} entries")
            else:
                setup(app)
                start = time.perf_counter()
                entries, inputs, counts = generate(args.entries, args.inputs)
                gc.collect()
                built = time.perf_counter() - start
                print(f"{database}: {entries:,} entries, {inputs:,} inputs generated "
                      f"and stored in {built:.0f} s")
                print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
            if database == "postgresql":
                # As autovacuum would after a load this size (the server here
                # runs without it): without statistics the planner takes the
                # big project's rows for a few and sorts where it would scan.
                db.session.commit()
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                        sa.text("ANALYZE"))
            big = projects.get_project(db.session, "big", with_members=False)
            # The full verify split over two processes (the default) and in
            # one (as before the split), one after the other in the same
            # minutes: CPU of this process and of the chain's process.
            for split in (True, False, True, False):
                gc.collect()
                load, start, cpu = os.getloadavg()[0], time.perf_counter(), cpu_seconds()
                result = services.verify(db.session, big, split=split)
                wall, used = time.perf_counter() - start, cpu_seconds()
                print(f"  services.verify, {'split' if split else 'one process'}: "
                      f"{result.entries:,} entries, intact={result.intact} {result.problem} "
                      f"in {wall:.1f} s wall, CPU {used[0] - cpu[0]:.1f} s here + "
                      f"{used[1] - cpu[1]:.1f} s in the chain's process (load {load:.1f})")
                assert result.intact and result.split == split, result
                del result
            gc.collect()
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(services.verify, db.session, big, split=False)
                pstats.Stats(profile).sort_stats("tottime").print_stats(18)
            db.session.remove()
        size = f"{entries:,}"
        page_load = os.getloadavg()[0]
        rows = measure_pages(app, args.runs, args.profile) + \
            measure_appends(app, args.appends, size)
        verify_load = os.getloadavg()[0]
        seconds, said = cli_verify(env)
        one_load = os.getloadavg()[0]
        one_process = cli_verify(env, "--one-process")[0]  # as before the split
        since = None
        if args.since_last:
            # The full verify above kept its head as the checkpoint.
            append_work(app, args.since_last)
            since_load = os.getloadavg()[0]
            since = cli_verify(env, "--since-last")
            start = time.perf_counter()
            subprocess.run([str(BIN / "flask"), "--app", "commons", "--help"], env=env, cwd=ROOT,
                           capture_output=True, check=True)
            since = (*since, time.perf_counter() - start)
        print(f"\n{database}, pages from load {page_load:.1f}")
        print(f"{'measure':58} {'median ms':>10} {'p95 ms':>8} {'runs':>5}")
        for name, median, p95, runs in rows:
            print(f"{name:58} {median:10.1f} {p95:8.1f} {runs:5}")
        by_name = {name: median for name, median, *_ in rows}
        small = by_name["pledge, small project (10 entries)"]
        for name, median in by_name.items():
            if name.startswith((f"pledge, {size}", f"log work, {size}")):
                base = small if name.startswith("pledge") else by_name["log work, small project"]
                print(f"ratio {name} / small project: {median / base:.2f}")
        first = next((m for n, m in by_name.items() if n.startswith("journal, first")), None)
        for name, median in by_name.items():
            if first and name.startswith("journal, ?before"):
                print(f"ratio {name.split(' (')[0]} / first page: {median / first:.2f}")
        page = next(m for n, m in by_name.items() if n.startswith("ledger page"))
        print(f"ledger page median: {page:.1f} ms (target < 40 ms on PostgreSQL, "
              f"load {page_load:.1f})")
        print(f"`flask --app commons ledger verify big`: {seconds:.1f} s wall (target < 10 s, "
              f"load {verify_load:.1f})\n  {said}\n"
              f"`ledger verify --one-process big` (no second process): {one_process:.1f} s wall "
              f"(load {one_load:.1f})")
        if since:
            print(f"`ledger verify --since-last big` after {args.since_last:,} new entries: "
                  f"{since[0]:.2f} s wall; `flask --help` (the whole app's start-up, which "
                  f"the ledger commands no longer pay) {since[2]:.2f} s (target < 1 s, "
                  f"load {since_load:.1f})\n  {since[1]}")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Input)) > args.inputs
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            remove(work)


if __name__ == "__main__":
    main()
