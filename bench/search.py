"""Search over 10,000 projects, 100,000 proposals and 50,000 needs, on
SQLite (FTS5) and PostgreSQL (tsvector + GIN): the median time of a search
(every kind but code) and of the whole page, over a mix of queries from
the most common word to one that matches nothing; code search apart, on
one generated repository.

    .venv/bin/python bench/search.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Target: median search ≤ 100 ms on each database. The PostgreSQL database
named is emptied; everything else lives in a temporary folder.
"""

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import GIT_ENV, empty_database, git, remove, scratch  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.governance.models import Proposal  # noqa: E402
from commons.ledger.models import Input  # noqa: E402
from commons.projects.models import Project  # noqa: E402
from commons.search import code, services  # noqa: E402
from commons.types import utcnow  # noqa: E402

BATCH = 5000
# Words people write, spread through the generated text at these shares of
# documents, so the queries below hit known numbers of rows.
SEEDED = {"solar": 0.05, "dryer": 0.02, "сушилка": 0.002, "太阳能": 0.002, "Dörrautomat": 0.002,
          "windmill": 0.0005}
QUERIES = ["w0", "w3", "w30", "w300", "w3000", "w0 w1", "w30 w31", "w100 w2000", "w12",
           "solar", "solar dryer", "dry", "сушилка", "太阳能", "dörrautomat", "windmill",
           "nosuchword", "%", "\"w5\" AND -w6", "w4 w40 w400 w4000"]


class Text:
    """Text from a vocabulary whose word ranks follow Zipf's law (w0 most
    common), with the SEEDED words added at their shares."""

    def __init__(self, rng: random.Random, vocabulary: int = 20000):
        self.rng = rng
        self.words = [f"w{rank}" for rank in range(vocabulary)]
        weights = [1 / (rank + 1) for rank in range(vocabulary)]
        total, self.cumulative = 0.0, []
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def __call__(self, words: int) -> str:
        chosen = self.rng.choices(self.words, cum_weights=self.cumulative, k=words)
        for word, share in SEEDED.items():
            if self.rng.random() < share:
                chosen[self.rng.randrange(words)] = word
        return " ".join(chosen)


def fill(app, projects: int, proposals: int, needs: int, seed: int = 1) -> float:
    """Migrate, then insert the rows in batches (executemany); the search
    indexes follow by trigger (SQLite) or generated column (PostgreSQL).
    Returns the seconds the inserts took."""
    from flask_migrate import upgrade
    rng = random.Random(seed)
    text = Text(rng)
    now = utcnow()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        db.session.execute(sa.insert(User), [
            {"username": f"person{n}", "password_hash": "x", "created_at": now}
            for n in range(1000)])
        _batches(Project, [
            {"slug": f"project-{n}", "name": text(3).title(), "description": text(25),
             "license": "MIT", "default_branch": "main", "admission": "open",
             "push_policy": "review", "outside": "accept", "review_window": 259200,
             "notify_outside_authors": False, "approval_amount": Decimal("100"),
             "approval_currency": "EUR", "created_by_id": 1 + n % 1000, "created_at": now}
            for n in range(projects)])
        per_project = proposals // projects
        _batches(Proposal, (
            {"project_id": 1 + n // per_project, "number": 1 + n % per_project,
             "kind": "decision", "title": text(6), "body": text(80), "author_id": 1 + n % 1000,
             "status": "open", "voting": "consensus", "revision": 1, "opened_at": now,
             "closes_at": now + timedelta(days=3), "details": {}, "outcome": "", "result": {},
             "affected_complete": True}
            for n in range(proposals)))
        per_project = needs // projects
        zero = Decimal("0")
        _batches(Input, (
            {"project_id": 1 + n // per_project, "number": 1 + n % per_project, "seq": 1,
             "title": text(4), "kind": "material", "resource": "thing", "unit": "kg",
             "needed": Decimal("5"), "unit_cost": None, "currency": None, "needed_by": None,
             "description": text(20), "approved": True, "closed": False, "received": zero,
             "consumed": zero, "pledged": zero, "status": "open", "still_needed": Decimal("5"),
             "updated_at": now}
            for n in range(needs)))
        db.session.commit()
        seconds = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(sa.text("ANALYZE"))
                connection.commit()
    return seconds


def _batches(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(sa.insert(model), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(model), batch)


def measure(app, repeat: int) -> tuple[list[float], list[float], dict[str, float]]:
    """Milliseconds per search (services.search, no code) and per page
    (GET /search through Flask, rendering included; no repository exists,
    so code search finds nothing to open), and each query's median search."""
    settings = services.Settings.from_config(app.config)
    searches, pages, per_query = [], [], {}
    client = app.test_client()
    with app.app_context():
        for q in QUERIES:  # warm the caches once
            services.search(db.session, q, settings)
        for q in QUERIES:
            mine = []
            for _ in range(repeat):
                started = time.perf_counter()
                services.search(db.session, q, settings)
                mine.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            per_query[q] = statistics.median(mine)
            searches += mine
    for q in QUERIES:
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get("/search", query_string={"q": q})
            pages.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (q, response.status_code)
    return searches, pages, per_query


def counts(app) -> dict[str, int]:
    with app.app_context():
        found = services.search(db.session, "solar", services.Settings.from_config(app.config))
        return {group.kind: group.count for group in found.groups}


def code_search(work: Path, files: int, repeat: int) -> None:
    """git grep over one repository of *files* text files (2 KB each) on
    its default branch: a string in one file, a common one, and none."""
    path = work / "code.git"
    git("init", "-q", "--bare", "-b", "main", str(path))
    rng = random.Random(2)
    text = Text(rng)
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    write = process.stdin.write
    write(b"commit refs/heads/main\ncommitter Bench <bench@example.org> 1700000000 +0000\n"
          b"data 5\nfiles\n")
    for number in range(files):
        body = "\n".join(text(12) for _ in range(25)).encode()
        if number == files // 2:
            body += b"\nunique_needle_42\n"
        write(f"M 100644 inline src/dir{number % 100}/file{number}.txt\n".encode())
        write(b"data %d\n%s\n" % (len(body), body))
    process.stdin.close()
    assert process.wait() == 0
    git("repack", "-adq", cwd=path)
    repository = code.Repository("code", path, "main")
    for needle in ["unique_needle_42", "w0 w1", "no such string"]:
        times, found = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            found = len(code.search([repository], needle, budget=10, max_hits=50).hits)
            times.append((time.perf_counter() - started) * 1000)
        print(f"  code search {needle!r} in {files:,} files: median "
              f"{statistics.median(times):.1f} ms, {found} lines shown")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--files", type=int, default=5_000)
    args = parser.parse_args()
    work = scratch("commons-bench-search-")
    try:
        databases = [("SQLite", f"sqlite:///{work}/search.sqlite3")]
        if args.postgres:
            empty_database(args.postgres)
            databases.append(("PostgreSQL", args.postgres))
        medians = {}
        for name, uri in databases:
            app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                              "SQLALCHEMY_DATABASE_URI": uri, "REPOS_DIR": str(work / "repos")})
            seconds = fill(app, args.projects, args.proposals, args.needs)
            print(f"{name}: {args.projects:,} projects, {args.proposals:,} proposals, "
                  f"{args.needs:,} needs inserted and indexed in {seconds:.1f} s")
            print(f"  'solar' matches {counts(app)}")
            searches, pages, per_query = measure(app, args.repeat)
            medians[name] = statistics.median(searches)
            print(f"  search median {medians[name]:.1f} ms, p90 "
                  f"{statistics.quantiles(searches, n=10)[-1]:.1f} ms, slowest query median "
                  f"{max(per_query.values()):.1f} ms ({max(per_query, key=per_query.get)!r}); "
                  f"page median {statistics.median(pages):.1f} ms (target: search ≤ 100 ms)")
            for q, ms in per_query.items():
                print(f"    {q!r:28} {ms:7.1f} ms")
            with app.app_context():
                db.engine.dispose()
        if len(medians) == 2:
            print(f"PostgreSQL / SQLite median: {medians['PostgreSQL'] / medians['SQLite']:.2f}")
        code_search(work, args.files, args.repeat)
    finally:
        remove(work)


if __name__ == "__main__":
    main()
