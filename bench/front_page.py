"""The front page (`/`) with 10,000 projects, 50,000 inputs and 100,000
proposals: its three COUNT queries, median over repeated requests.

    .venv/bin/python bench/front_page.py [--database-uri postgresql+psycopg://...]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Rows are bulk-inserted in the models' shapes (nothing here goes
through the services: only the counts are measured)."""

import argparse
import os
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
from commons.governance.models import Proposal  # noqa: E402
from commons.ledger.models import Input  # noqa: E402
from commons.projects.models import Project  # noqa: E402

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def fill(projects: int, inputs: int, proposals: int) -> None:
    from flask_migrate import downgrade, upgrade
    if db.engine.dialect.name == "postgresql":
        downgrade(revision="base")
    upgrade()
    db.session.execute(sa.insert(User), [{"username": "founder", "password_hash": "x",
                                          "created_at": NOW}])
    db.session.execute(sa.insert(Project), [{
        "slug": f"p{n}", "name": f"Project {n}", "license": "MIT", "review_window": 259200,
        "approval_amount": Decimal(0), "approval_currency": "EUR", "created_at": NOW}
        for n in range(projects)])
    ids = list(db.session.scalars(sa.select(Project.id)))
    statuses = ("pending", "approved", "covered", "fulfilled")
    db.session.execute(sa.insert(Input), [{
        "project_id": ids[n % len(ids)], "number": n // len(ids) + 1, "seq": n // len(ids) + 1,
        "title": f"Thing {n}", "kind": "material", "resource": f"thing {n % 500}",
        "unit": "piece", "needed": Decimal(10), "approved": n % 4 != 0,
        "closed": n % 17 == 0, "received": Decimal(0), "consumed": Decimal(0),
        "pledged": Decimal(0), "status": statuses[n % 4],
        "still_needed": Decimal(10 if n % 4 < 2 else 0), "updated_at": NOW}
        for n in range(inputs)])
    kinds = ("passed", "blocked", "withdrawn", "open", "passed")
    rows = []
    for n in range(proposals):
        opened = NOW - timedelta(hours=n % (24 * 730))  # two years of history
        status = kinds[n % 5]
        rows.append({
            "project_id": ids[n % len(ids)], "number": n // len(ids) + 1, "kind": "decision",
            "title": f"Proposal {n}", "body": "", "status": status, "voting": "consensus",
            "revision": 1, "opened_at": opened, "closes_at": opened + timedelta(days=3),
            "decided_at": None if status == "open" else opened + timedelta(days=3),
            "details": {}, "outcome": "", "result": {}, "affected_complete": True})
    for start in range(0, len(rows), 10000):
        db.session.execute(sa.insert(Proposal), rows[start:start + 10000])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--inputs", type=int, default=50000)
    parser.add_argument("--proposals", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    folder = scratch("commons-bench-front-")
    try:
        uri = args.database_uri or f"sqlite:///{folder / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench",
                          "REPOS_DIR": str(folder / "repos"), "CLOCK": lambda: NOW,
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            started = time.monotonic()
            fill(args.projects, args.inputs, args.proposals)
            print(f"filled in {time.monotonic() - started:.1f} s "
                  f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
        client = app.test_client()
        assert client.get("/").status_code == 200
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        html = response.get_data(as_text=True)
        baseline = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            assert client.get("/glossary").status_code == 200
            baseline.append((time.perf_counter() - started) * 1000)
        figures = [line.strip() for line in html.splitlines() if "<dd>" in line]
        print(f"GET / median {statistics.median(times):.1f} ms, "
              f"p90 {sorted(times)[int(len(times) * .9)]:.1f} ms over {args.repeat}; "
              f"/glossary (no query) median {statistics.median(baseline):.1f} ms")
        print("\n".join(figures))
    finally:
        remove(folder)


if __name__ == "__main__":
    main()
