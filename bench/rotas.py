"""The labour page's share of the busiest person (one aggregate query over
a year of work logs) and handing out a rota's turns among many people.

    .venv/bin/python bench/rotas.py [--database-uri postgresql+psycopg://...]
        [--logs 100000] [--people 500] [--runs 20]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Work logs are bulk-inserted rows (not journal entries: only the
query is measured), spread over 400 days, four kinds of work and *people*
members with Zipf-like weights. Prints the median and p95 of
``rotas.services.busiest_by_month`` and of ``fill_turns`` after every
member opted in (the rule's turns handed out again), and of the whole
labour page through the test client. No target was set; figures on the
shared 2-core machine are noisy.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.ledger.models import WorkLog  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.rotas import services as rotas  # noqa: E402
from commons.rotas.models import RotaMember, RotaTurn  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KINDS = ("routine", "care", "creative", "coordination")


def timed(action, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    folder = scratch("commons-bench-rotas-")
    uri = args.database_uri or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "REPOS_DIR": str(folder / "repos"),
                      "SECRET_KEY": "bench", "TESTING": True, "CLOCK": lambda: NOW,
                      "RATELIMIT_ENABLED": False})
    try:
        with app.app_context():
            db.drop_all()
            db.create_all()
            rng = random.Random(1)
            people = [User(username=f"p{n}", password_hash="x", created_at=NOW)
                      for n in range(args.people)]
            db.session.add_all(people)
            db.session.flush()
            project = projects.create_project(db.session, people[0], projects.NewProject(
                name="Big", slug="big", license="MIT"), projects.Settings.from_config(
                app.config), now=NOW - timedelta(days=500))
            for person in people[1:]:
                db.session.add(Membership(project=project, user=person, status="member",
                                          joined_at=NOW - timedelta(days=500),
                                          requested_at=NOW - timedelta(days=500)))
            db.session.flush()
            weights = [1 / (rank + 1) for rank in range(args.people)]
            chosen = rng.choices(people, weights=weights, k=args.logs)
            db.session.execute(sa.insert(WorkLog), [
                {"project_id": project.id, "seq": seq + 1, "user_id": person.id,
                 "date": (NOW - timedelta(days=rng.randrange(400))).date(),
                 "hours": Decimal(rng.randrange(25, 400)) / 100,
                 "category": rng.choice(KINDS), "description": "bench"}
                for seq, person in enumerate(chosen)])
            rota = rotas.create_rota(db.session, project, people[0], rotas.RotaFields(
                title="Clean the workshop"), now=NOW)
            db.session.add_all(RotaMember(rota_id=rota.id, user_id=person.id,
                                          opted_in_at=NOW) for person in people)
            db.session.commit()
            print(f"{args.logs} work logs, {args.people} people, "
                  f"{'SQLite' if uri.startswith('sqlite') else 'PostgreSQL'}")
            median, p95 = timed(lambda: rotas.busiest_by_month(db.session, project,
                                                               NOW.date()), args.runs)
            print(f"busiest_by_month: median {median:.1f} ms, p95 {p95:.1f} ms")

            def refill():
                db.session.execute(sa.update(RotaTurn).values(user_id=None))
                rotas.fill_turns(db.session, project, rota, now=NOW)
                db.session.rollback()
            median, p95 = timed(refill, args.runs)
            print(f"fill_turns among {args.people}: median {median:.1f} ms, p95 {p95:.1f} ms")
        client = app.test_client()
        median, p95 = timed(lambda: client.get("/projects/big/contributors/labour"), args.runs)
        print(f"labour page (whole): median {median:.1f} ms, p95 {p95:.1f} ms")
    finally:
        if args.database_uri is None:
            remove(folder)


if __name__ == "__main__":
    main()
