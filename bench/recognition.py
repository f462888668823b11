"""Recognition over a big month: 2,000 people and 100,000 work entries in
one project, most of them confirmed, with two versions of the value rule
(the second adopted mid-month, so the aggregate splits the month at it).

    .venv/bin/python bench/recognition.py [--database-uri postgresql+psycopg://...]
        [--people 2000] [--entries 100000] [--runs 20]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Prints the median of `recognition_for` over the month (target:
at most 1 s: a distribution reads it) and the medians of the contributors
page (all time, which now reads recognition too: target at most 100 ms),
the recognition page (its first 100 people) and the API (everyone) for the month, and the
contributors page without its recognition column (a baseline), through
`app.test_client()`, each request with its own session.

The work logs are bulk-inserted rows (no journal entries, no contributor
tallies): this measures what recognition adds, the aggregate over the
work_logs table, with the page's other dimensions nearly empty. The
entries are dated in the previous month so that the contributors page's
period (all time) and the month measured both hold all of them.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import empty_database, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.ledger.models import WorkLog  # noqa: E402
from commons.ledger.work_rules import WORK_CATEGORIES  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.recognition import queries  # noqa: E402
from commons.recognition.models import RecognitionRule  # noqa: E402
from commons.types import utcnow  # noqa: E402

SLUG = "big"


def build(app, people: int, entries: int, rng: random.Random) -> tuple[date, date]:
    """The project, its people (all members), the work logs and two rule
    versions; returns the month's bounds."""
    from flask_migrate import upgrade
    upgrade()
    now = utcnow()
    founder = User(username="founder", password_hash="x", created_at=now)
    db.session.add(founder)
    project = projects.create_project(db.session, founder, projects.NewProject(
        name="Big", slug=SLUG, license="CERN-OHL-S-2.0"),
        projects.Settings.from_config(app.config), now)
    db.session.commit()
    db.session.execute(sa.insert(User), [
        {"username": f"person{n}", "password_hash": "x", "created_at": now}
        for n in range(people - 1)])
    ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    db.session.execute(sa.insert(Membership), [
        {"project_id": project.id, "user_id": uid, "status": Membership.MEMBER,
         "requested_at": now - timedelta(days=400), "joined_at": now - timedelta(days=400)}
        for uid in ids if uid != founder.id])
    first = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    following = now.date().replace(day=1)
    days = (following - first).days
    categories = list(WORK_CATEGORIES)
    rows = []
    for seq in range(1, entries + 1):
        worker = ids[min(int(rng.paretovariate(1.2)) - 1, len(ids) - 1)] \
            if rng.random() < 0.5 else rng.choice(ids)
        confirmed = rng.random() < 0.85
        rows.append({
            "project_id": project.id, "seq": seq, "user_id": worker,
            "date": first + timedelta(days=rng.randrange(days)),
            "hours": Decimal(rng.randrange(25, 801, 25)) / 100,
            "category": rng.choice(categories), "description": "work",
            "onerous": rng.choice([None, 1, 2, 3]),
            "confirmed_by_id": rng.choice(ids) if confirmed else None,
            "confirmed_at": now if confirmed else None})
        if len(rows) == 10_000:
            db.session.execute(sa.insert(WorkLog), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(WorkLog), rows)
    middle = datetime.combine(first + timedelta(days=days // 2), datetime.min.time(), UTC)
    db.session.add_all([
        RecognitionRule(project_id=project.id, version=1, weights={"care": "1.5"},
                        onerous_multiplies=False, adopted_at=middle - timedelta(days=60)),
        RecognitionRule(project_id=project.id, version=2,
                        weights={"care": "2", "routine": "1.25"}, onerous_multiplies=True,
                        adopted_at=middle)])
    db.session.commit()
    return first, following


def timed(run, runs: int) -> list[float]:
    run()  # warm: the first call compiles statements and fills caches
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        found.append(time.perf_counter() - started)
    return found


def show(label: str, seconds: list[float], target: float | None = None) -> None:
    median = statistics.median(seconds)
    worst = max(seconds)
    said = "" if target is None else (
        f" (target ≤ {target * 1000:.0f} ms: {'met' if median <= target else 'MISSED'})")
    print(f"  {label}: median {median * 1000:.1f} ms, max {worst * 1000:.1f} ms{said}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    work = scratch("commons-bench-recognition-")
    uri = args.database_uri or f"sqlite:///{work}/recognition.sqlite3"
    if uri.startswith("postgresql"):
        empty_database(uri)
    config = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
              "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")}
    try:
        app = create_app(config)
        with app.app_context():
            database = db.engine.dialect.name
            started = time.perf_counter()
            first, following = build(app, args.people, args.entries, random.Random(20))
            print(f"{database}: {args.people:,} people, {args.entries:,} work entries in "
                  f"{first:%Y-%m}, built in {time.perf_counter() - started:.1f} s")
            if database == "postgresql":
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            project = projects.get_project(db.session, SLUG, with_members=False)
            people = queries.recognition_for(db.session, project, first, following)
            confirmed = sum((p.confirmed_hours for p in people), Decimal(0))
            print(f"  {len(people):,} people recognised, {confirmed:,} confirmed hours, "
                  f"{sum(len(p.lines) for p in people):,} arithmetic lines")

            def distribution():
                db.session.expire_all()
                queries.recognition_for(db.session, project, first, following)
            show("recognition_for over the month", timed(distribution, args.runs), 1.0)
            hundred = sorted(p.user_id for p in people)[:100]

            def one_page():
                db.session.expire_all()
                queries.recognition_for(db.session, project, date.min, following,
                                        user_ids=hundred)
            show("recognition_for, all time, 100 people (what a contributors page reads)",
                 timed(one_page, args.runs))
            db.session.remove()
        client = app.test_client()
        month = f"{first:%Y-%m}"
        for label, path, target in (
                ("contributors page (all time)", f"/projects/{SLUG}/contributors", 0.1),
                ("recognition page (the month)", f"/projects/{SLUG}/recognition?period={month}",
                 None),
                ("API recognition (the month)",
                 f"/api/v1/projects/{SLUG}/recognition?period={month}", None)):
            def get(path=path):
                response = client.get(path)
                assert response.status_code == 200, response.status_code
            show(label, timed(get, args.runs), target)
        # The same page without its recognition column, for comparison.
        from commons.contributions import views
        with_recognition = views.recognition_by_user
        views.recognition_by_user = lambda *args: {}
        try:
            show("contributors page without recognition (baseline)",
                 timed(lambda: client.get(f"/projects/{SLUG}/contributors"), args.runs))
        finally:
            views.recognition_by_user = with_recognition
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores (a machine shared with other work)")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
