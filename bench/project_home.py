"""A project's home page (GET /projects/<slug>) with 1,000 proposals and
2,000 inputs, on SQLite and on PostgreSQL, seen by an anonymous visitor
and by a logged-in member with stances on the open proposals.

    .venv/bin/python bench/project_home.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Target: median at most 60 ms on each database. SQLite is a file in a
temporary folder; the PostgreSQL database named is emptied. The page is
requested through Flask's test client, as bench/ledger.py does: what is
measured is the page's own work (queries, README read from git,
rendering), not a server's.

The project holds 1,000 proposals (400 open, 600 decided), 2,000 inputs
(half of them still open), 2,000 ledger entries, 300 pushes and 60
members; the member viewing it has a stance on every other open
proposal. Rows are bulk-inserted in the models' shapes.
"""

import argparse
import json
import os
import re
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
from commons.accounts import services as accounts  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git.models import Push, PushedRef  # noqa: E402
from commons.governance.models import Proposal, Stance  # noqa: E402
from commons.ledger.models import Input, LedgerEntry  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.types import utcnow  # noqa: E402

PASSWORD = "bench-password-1234"
PROPOSALS, OPEN, INPUTS, ENTRIES, PUSHES, MEMBERS = 1000, 400, 2000, 2000, 300, 60
TARGET_MS = 60.0


def fill(app) -> None:
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        now = utcnow()
        founder = accounts.register_user(db.session, "founder", "founder@example.org", PASSWORD,
                                         now=now, confirmed_at=now)
        db.session.execute(sa.insert(User), [
            {"username": f"member{n}", "password_hash": "x", "created_at": now}
            for n in range(MEMBERS - 1)])
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Bench", slug="bench", license="MIT"), projects.Settings.from_config(app.config),
            now)
        db.session.flush()
        ids = list(db.session.scalars(sa.select(User.id).where(User.id != founder.id)))
        db.session.execute(sa.insert(Membership), [
            {"project_id": project.id, "user_id": uid, "status": "member", "requested_at": now,
             "joined_at": now - timedelta(days=n)} for n, uid in enumerate(ids)])
        db.session.execute(sa.insert(Proposal), [
            {"project_id": project.id, "number": n + 1, "kind": "decision",
             "title": f"Decision {n + 1}", "body": "", "author_id": founder.id,
             "status": "open" if n >= PROPOSALS - OPEN else ("passed", "blocked")[n % 2],
             "opened_at": now - timedelta(days=PROPOSALS - n),
             "closes_at": now + timedelta(hours=1 + n % 72) if n >= PROPOSALS - OPEN
             else now - timedelta(days=PROPOSALS - n - 3),
             "decided_at": None if n >= PROPOSALS - OPEN
             else now - timedelta(days=PROPOSALS - n - 3),
             "details": {}, "result": {}} for n in range(PROPOSALS)])
        open_ids = list(db.session.scalars(sa.select(Proposal.id).where(
            Proposal.project_id == project.id, Proposal.status == "open")))
        db.session.execute(sa.insert(Stance), [
            {"proposal_id": pid, "user_id": founder.id, "stance": "support", "reason": "",
             "revision": 1, "taken_at": now} for pid in open_ids[::2]])
        db.session.execute(sa.insert(Input), [_input(project.id, n, now) for n in range(INPUTS)])
        db.session.execute(sa.insert(LedgerEntry), [
            {"project_id": project.id, "seq": n + 1, "at": now - timedelta(minutes=ENTRIES - n),
             "actor_id": founder.id, "action": "pledge", "input_number": n % INPUTS + 1,
             "payload": json.dumps({"data": {"input": n % INPUTS + 1, "quantity": "1",
                                             "pledger": "founder", "note": ""}}),
             "prev_hash": f"{n:064x}", "hash": f"{n + 1:064x}"} for n in range(ENTRIES)])
        db.session.execute(sa.insert(Push), [
            {"project_id": project.id, "user_id": founder.id, "reflog_key": f"bench-{n}",
             "pushed_at": now - timedelta(hours=PUSHES - n)} for n in range(PUSHES)])
        push_ids = list(db.session.scalars(sa.select(Push.id).where(
            Push.project_id == project.id)))
        db.session.execute(sa.insert(PushedRef), [
            {"push_id": pid, "ref": f"refs/heads/branch-{pid % 20}", "old_sha": "0" * 40,
             "new_sha": f"{pid:040x}"} for pid in push_ids])
        db.session.commit()


def _input(project_id: int, n: int, now) -> dict:
    needed = Decimal(1 + n % 50)
    received = needed if n % 2 else Decimal(n % 7) % needed
    pledged = Decimal(0) if n % 2 else min(Decimal(n % 3), needed - received)
    still = needed - received - pledged
    return {"project_id": project_id, "number": n + 1, "seq": n + 1, "title": f"Part {n + 1}",
            "kind": "material", "resource": f"part {n + 1}", "unit": ("kg", "piece", "h")[n % 3],
            "needed": needed, "unit_cost": None, "currency": None, "needed_by": None,
            "description": "", "approved": True, "closed": False, "received": received,
            "consumed": Decimal(0), "pledged": pledged,
            "status": "fulfilled" if still <= 0 else "approved", "still_needed": still,
            "updated_at": now}


def log_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/login", data={"csrf_token": token, "login": "founder",
                                       "password": PASSWORD})
    assert done.status_code == 302, done.status_code


def measure(app, runs: int) -> list[tuple[str, float, float, float, int]]:
    """Wall time (median, p95) and this process's CPU time (median) per
    request: on a shared machine the CPU time tells the page's own cost
    when the wall time also holds waiting for a core."""
    results = []
    for viewer in ("anonymous", "member"):
        client = app.test_client()
        if viewer == "member":
            log_in(client)
        first = client.get("/projects/bench")
        assert first.status_code == 200, first.status_code
        html = first.get_data(as_text=True)
        assert "(400 open)" in html and "Open needs" in html, "page incomplete"
        assert viewer == "anonymous" or "Your stance: support" in html
        times, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get("/projects/bench")
            response.get_data()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        results.append((f"{viewer} ({len(first.get_data()) // 1024} KiB)",
                        statistics.median(times), statistics.quantiles(times, n=20)[18],
                        statistics.median(cpu), runs))
    return results


def queries(app) -> int:
    """How many SQL statements one anonymous request runs."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        app.test_client().get("/projects/bench")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def run(uri: str, work: Path, runs: int) -> list[tuple[str, float, float, float, int]]:
    if uri.startswith("postgresql"):
        empty_database(uri)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                      "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence"),
                      "LOGIN_RATE_LIMIT": "100000 per minute",
                      "ACCOUNT_LOGIN_RATE_LIMIT": "100000 per minute"})
    start = time.perf_counter()
    fill(app)
    with app.app_context():
        name = db.engine.dialect.name
    print(f"{name}: {PROPOSALS:,} proposals, {INPUTS:,} inputs, {ENTRIES:,} entries, "
          f"{PUSHES} pushes stored in {time.perf_counter() - start:.1f} s; "
          f"{queries(app)} queries per anonymous request")
    rows = [(f"{name}, {label}", *figures) for label, *figures in measure(app, runs)]
    with app.app_context():
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"),
                        help="also measure on this PostgreSQL database (emptied)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    work = scratch("commons-bench-home-")
    try:
        rows = run(f"sqlite:///{work}/home.sqlite3", work / "sqlite", args.runs)
        if args.postgres:
            rows += run(args.postgres, work / "postgres", args.runs)
        print(f"\n{'GET /projects/bench':40} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} "
              f"{'runs':>5} {'/ target':>9}")
        for name, median, p95, cpu, runs in rows:
            print(f"{name:40} {median:10.1f} {p95:8.1f} {cpu:7.1f} {runs:5} "
                  f"{median / TARGET_MS:9.2f}")
        print(f"target: median <= {TARGET_MS:.0f} ms (ratio <= 1.00); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
