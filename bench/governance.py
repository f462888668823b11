"""`governance tick` over 10,000 open proposals of which 5,000 are due, on
SQLite and on PostgreSQL, and a proposal page with 1,000 stances served by
commons under gunicorn.

    .venv/bin/python bench/governance.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Targets: the tick under 2 s on each database; the page's median under 50 ms.
The PostgreSQL database named is emptied.
"""

import argparse
import os
import statistics
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import commons_server, empty_database, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.governance import services  # noqa: E402
from commons.governance.models import Proposal, Stance  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.projects.models import Membership  # noqa: E402
from commons.types import utcnow  # noqa: E402


def fill(app, proposals: int, due: int, stances_on_first: int) -> None:
    """A project with *stances_on_first* members, *proposals* open decision
    proposals (*due* of them past their window) and every member's stance on
    proposal #1."""
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        now = utcnow()
        db.session.execute(sa.insert(User), [
            {"username": f"member{n}", "password_hash": "x", "created_at": now}
            for n in range(stances_on_first)])
        db.session.commit()
        founder = db.session.scalar(sa.select(User).where(User.username == "member0"))
        from commons.accounts.models import Email
        db.session.add(Email(user=founder, address="member0@example.org", created_at=now))
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Bench", slug="bench", license="MIT"), projects.Settings.from_config(app.config),
            now)
        db.session.commit()
        ids = list(db.session.scalars(sa.select(User.id).where(User.id != founder.id)))
        db.session.execute(sa.insert(Membership), [
            {"project_id": project.id, "user_id": uid, "status": "member", "requested_at": now,
             "joined_at": now} for uid in ids])
        db.session.execute(sa.insert(Proposal), [
            {"project_id": project.id, "number": n + 1, "kind": "decision",
             "title": f"Decision {n + 1}", "body": "", "author_id": founder.id,
             "status": "open", "voting": "consensus", "revision": 1, "opened_at": now,
             "closes_at": now - timedelta(minutes=1) if n < due else now + timedelta(days=3),
             "details": {}, "outcome": "", "result": {}, "affected_complete": True}
            for n in range(proposals)])
        first = db.session.scalar(sa.select(Proposal.id).where(Proposal.number == proposals))
        db.session.execute(sa.insert(Stance), [
            {"proposal_id": first, "user_id": uid, "stance": ("support", "abstain")[uid % 2],
             "reason": "", "revision": 1, "taken_at": now} for uid in [founder.id, *ids]])
        db.session.commit()


def tick_seconds(app) -> tuple[float, int]:
    with app.app_context():
        start = time.perf_counter()
        decided = services.decide_due(db.session, services.Settings.from_config(app.config),
                                      utcnow())
        return time.perf_counter() - start, len(decided)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    work = scratch("commons-bench-governance-")
    try:
        databases = [("SQLite", f"sqlite:///{work}/tick.sqlite3")]
        if args.postgres:
            empty_database(args.postgres)
            databases.append(("PostgreSQL", args.postgres))
        for name, uri in databases:
            app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                              "SQLALCHEMY_DATABASE_URI": uri, "REPOS_DIR": str(work / name)})
            fill(app, 10_000, 5_000, 1_000)
            seconds, decided = tick_seconds(app)
            print(f"tick on {name}: {decided} of 10,000 open proposals decided in {seconds:.2f} s "
                  f"(target < 2 s)")
            with app.app_context():
                db.engine.dispose()

        page_work = work / "page"
        page_work.mkdir()
        os.environ.pop("COMMONS_SQLALCHEMY_DATABASE_URI", None)
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{page_work}/commons.sqlite3",
                          "REPOS_DIR": str(page_work / "repos")})
        fill(app, 10_000, 0, 1_000)
        with commons_server(page_work) as (base, _, _):
            url = f"{base}/projects/bench/proposals/10000"
            html = urllib.request.urlopen(url).read().decode()
            assert "1000 stances" in html or "support" in html
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                urllib.request.urlopen(url).read()
                times.append((time.perf_counter() - start) * 1000)
            print(f"proposal page with 1,000 stances: median {statistics.median(times):.1f} ms "
                  f"over {args.requests} requests (target < 50 ms)")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
