"""A distribution over 2,000 people and 100,000 confirmed work entries:
the time to compute it (``recognition_for`` over the month, then the
shares by ``distribution_rules.shares``), as opening a distribution does.

    .venv/bin/python bench/distribution.py [--database-uri postgresql+psycopg://...]
        [--people 2000] [--entries 100000] [--runs 15]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Target: at most 1 s (issue 20). The people and the work logs are
bulk-inserted (work in one month, four kinds of work, ratings 1-3, every
entry confirmed by another person), with a value rule weighting care 1.5
and the worker's rating multiplying; the full ``preview`` (the service a
page calls: the rule, the funds check, the shares and the names) is timed
too. Prints the median and the slowest run."""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import empty_database, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.ledger.models import Fund, WorkLog  # noqa: E402
from commons.money import currencies  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.recognition import distribution_rules, distributions, queries  # noqa: E402
from commons.recognition.models import RecognitionRule  # noqa: E402

NOW = datetime(2026, 4, 2, 12, tzinfo=UTC)
CATEGORIES = ("routine", "care", "creative", "coordination")


def setup(app, people: int, entries: int):
    from flask_migrate import upgrade
    upgrade()
    db.session.execute(sa.insert(User), [{"username": f"person{n}", "password_hash": "x",
                                          "created_at": NOW} for n in range(people)])
    ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    founder = db.session.get(User, ids[0])
    project = projects.create_project(db.session, founder, projects.NewProject(
        name="Big", slug="big", license="CERN-OHL-S-2.0"),
        projects.Settings.from_config(app.config), NOW)
    db.session.flush()
    db.session.execute(sa.insert(Membership), [
        {"project_id": project.id, "user_id": user_id, "status": "member",
         "requested_at": NOW, "joined_at": NOW, "treasurer": False} for user_id in ids[1:]])
    db.session.add(RecognitionRule(project_id=project.id, version=1,
                                   weights={"care": "1.5"}, onerous_multiplies=True,
                                   adopted_at=datetime(2026, 1, 1, tzinfo=UTC)))
    db.session.add(Fund(project_id=project.id, currency="EUR", received=Decimal("300000.00"),
                        paid=Decimal("0.00")))
    rng = random.Random(20)
    rows = []
    for seq in range(1, entries + 1):
        worker = ids[rng.randrange(people)]
        rows.append({"project_id": project.id, "seq": seq, "user_id": worker,
                     "date": date(2026, 3, rng.randint(1, 31)),
                     "hours": Decimal(rng.randint(25, 800)) / 100,
                     "category": rng.choice(CATEGORIES), "description": "",
                     "onerous": rng.randint(1, 3),
                     # Confirmed by the next person: never the worker.
                     "confirmed_by_id": ids[(worker - ids[0] + 1) % people],
                     "confirmed_at": NOW, "confirmed_seq": entries + seq})
    for start in range(0, len(rows), 20000):
        db.session.execute(sa.insert(WorkLog), rows[start:start + 20000])
    db.session.commit()
    return project


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    work = scratch("commons-bench-distribution-")
    uri = args.database_uri or f"sqlite:///{work}/distribution.sqlite3"
    if uri.startswith("postgresql"):
        empty_database(uri)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                      "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")})
    try:
        with app.app_context():
            start = time.perf_counter()
            project = setup(app, args.people, args.entries)
            print(f"{db.engine.dialect.name}: {args.people} people, {args.entries} confirmed "
                  f"work entries bulk-inserted in {time.perf_counter() - start:.1f} s; load "
                  f"average {os.getloadavg()[0]:.2f}")
            computing, previewing = [], []
            for _ in range(args.runs):
                db.session.expire_all()
                start = time.perf_counter()
                people = queries.recognition_for(db.session, project, date(2026, 3, 1),
                                                 date(2026, 4, 1))
                parts = distribution_rules.shares(
                    Decimal("300.00"), {p.user_id: p.recognition for p in people},
                    currencies()["EUR"])
                computing.append(time.perf_counter() - start)
                db.session.rollback()
                start = time.perf_counter()
                shown = distributions.preview(db.session, project, "2026-03", "300.00", "EUR",
                                              NOW)
                previewing.append(time.perf_counter() - start)
                db.session.rollback()
            assert sum(parts.values()) == Decimal("300.00")
            assert sum(s.amount for s in shown.shares) == Decimal("300.00")
            print(f"  recognition_for + shares ({len(parts)} people): median "
                  f"{statistics.median(computing) * 1000:.0f} ms, slowest "
                  f"{max(computing) * 1000:.0f} ms (target: at most 1000 ms)")
            print(f"  preview (the whole service a page calls): median "
                  f"{statistics.median(previewing) * 1000:.0f} ms, slowest "
                  f"{max(previewing) * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
