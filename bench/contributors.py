"""Contributor records of a project with 80,000 commits by 2,000 authors:
`flask --app commons contributions reindex SLUG`, the contributors page
(all time and `?period=90d`) and the contributors API.

    .venv/bin/python bench/contributors.py [--database-uri postgresql+psycopg://...]
        [--commits 80000] [--authors 2000] [--runs 20] [--profile] [--gc-freeze] [--keep]

SQLite (a file in a temporary folder) unless --database-uri or
COMMONS_BENCH_DATABASE_URI names another database; that database is
emptied. Targets: reindex under 60 s (wall, with start-up); the page and
the API median under 100 ms.

The project is made by the real services; its repository then gets the
generated history of contributors_repo.py on top of its first commit (git
fast-import, see there: Zipf-like authors, three years of dates, 5 %
co-authored, 50 addresses mapped by .mailmap), and 200 of the authors get an
account with their address. Pages through `app.test_client()`, each request
with its own session. Besides the two pages named by the target, the page
sorted by commits and the API for 90 days are measured.

`--profile` runs the reindex a second time under cProfile and profiles one
request of each page. `--gc-freeze` measures the pages again after
`gc.freeze()`: the p95 is mostly full (generation 2) collections of the
app's 150,000-odd start-up objects, which a request that makes 2,000
records triggers every few requests.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BIN, ROOT, remove, scratch  # noqa: E402
from contributors_repo import check_history, generate_history  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts.models import Email, User  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git.indexing import _LOG_FORMAT, parse_log  # noqa: E402
from commons.git.repositories import repository_path  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.types import utcnow  # noqa: E402

SLUG = "big"
ACCOUNT_EVERY = 10  # every tenth author has an account: 200 of 2,000


def setup(app) -> None:
    """The schema, a founder and the project "big" (with its first commit)."""
    from flask_migrate import upgrade
    upgrade()
    founder = User(username="founder", password_hash="x", created_at=utcnow())
    founder.emails.append(Email(address="founder@example.org"))
    db.session.add(founder)
    projects.create_project(db.session, founder, projects.NewProject(
        name="Big", slug=SLUG, license="CERN-OHL-S-2.0"),
        projects.Settings.from_config(app.config))
    db.session.commit()


def register_authors(identities) -> int:
    """Accounts for every tenth author, with the author's canonical address."""
    now = utcnow()
    chosen = identities[::ACCOUNT_EVERY]
    db.session.execute(sa.insert(User), [
        {"username": f"author{i.number}", "password_hash": "x", "created_at": now} for i in chosen])
    ids = dict(db.session.execute(sa.select(User.username, User.id).where(
        User.username.like("author%"))).all())
    db.session.execute(sa.insert(Email), [
        {"user_id": ids[f"author{i.number}"], "address": i.email, "created_at": now}
        for i in chosen])
    db.session.commit()
    return len(chosen)


def git_log_alone(path: Path) -> tuple[float, float, int]:
    """What reading the history costs without the database: the seconds of
    `git log --numstat` (as commons.git.indexing formats it) to /dev/null,
    and of the same log parsed by indexing.parse_log; the commits parsed."""
    command = ["git", "-C", str(path), "-c", "core.quotePath=false", "log", "--no-renames",
               "--numstat", f"--format={_LOG_FORMAT}", "main"]
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                               errors="replace")
    parsed = sum(1 for _ in parse_log(process.stdout))
    process.wait()
    return alone, time.perf_counter() - start, parsed


def cli_reindex(env: dict, work: Path, profile: Path | None = None) -> tuple[float, float, str]:
    """Run `flask --app commons contributions reindex big`: (wall seconds,
    peak RSS MiB of the process or its largest child, its stdout)."""
    command = [str(BIN / "flask"), "--app", "commons", "contributions", "reindex", SLUG]
    if profile:
        command = [str(BIN / "python"), "-m", "cProfile", "-o", str(profile), "-m", "flask",
                   *command[1:]]
    stderr = work / "reindex.stderr"
    with open(stderr, "w") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)
        said = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = stderr.read_text(errors="replace")[-6000:]
        raise SystemExit(f"reindex exited with {process.returncode}:\n{said}\n{tail}")
    return seconds, usage.ru_maxrss / 1024, said.strip()


def row_counts() -> dict[str, int]:
    """Rows in the tables the records may live in."""
    names = [n for n in sa.inspect(db.engine).get_table_names()
             if n.startswith(("contribut", "identit", "commit", "indexed"))]
    return {n: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(n)))
            for n in sorted(names)}


def percentiles(times: list[float]) -> tuple[float, float]:
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def describe(response) -> str:
    """A line on what a page or API answer holds, to see it is the real thing."""
    body = response.get_data(as_text=True)
    notes = []
    if response.is_json:
        data = response.get_json()
        records = data if isinstance(data, list) else None
        if isinstance(data, dict):
            notes.append("keys " + ", ".join(sorted(data)[:8]))
            records = next((v for v in data.values() if isinstance(v, list)), None)
        if records is not None:
            notes.append(f"{len(records):,} records")
        if records and isinstance(records[0], dict):
            notes.append("first record's keys " + ", ".join(sorted(records[0])[:14]))
    else:
        notes.append(f"{body.count('<tr'):,} table rows")
    if response.headers.get("Link"):
        notes.append(f"Link: {response.headers['Link'][:120]}")
    notes.append("author0 (an account) " + ("named" if "author0" in body else "NOT named"))
    notes.append("Author 1 (no account) " + ("shown" if "Author 1" in body else "not shown"))
    return "; ".join(notes)


def measure_pages(app, runs: int, profile: bool, quiet: bool = False
                  ) -> list[tuple[str, float, float, int]]:
    """GET each page *runs* times through the test client, outside any app
    context of ours, so each request opens and closes its own session."""
    client = app.test_client()
    pages = [("contributors page", f"/projects/{SLUG}/contributors"),
             ("contributors page ?period=90d", f"/projects/{SLUG}/contributors?period=90d"),
             ("contributors page ?sort=commits", f"/projects/{SLUG}/contributors?sort=commits"
                                                 "&order=desc"),
             ("contributors API", f"/api/v1/projects/{SLUG}/contributors"),
             ("contributors API ?period=90d", f"/api/v1/projects/{SLUG}/contributors?period=90d")]
    results = []
    for name, url in pages:
        start = time.perf_counter()
        response = client.get(url)
        first = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            print(f"  {url}: {response.status_code}, not measured\n"
                  f"    {response.get_data(as_text=True)[:500]}")
            continue
        size = len(response.get_data())
        if not quiet:
            print(f"  {url}: first request {first:.0f} ms, {size / 1024:.0f} KiB; "
                  f"{describe(response)}")
        if profile:
            print(f"\n{name}, one request:")
            profiler = cProfile.Profile()
            profiler.runcall(client.get, url)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        times = []
        for _ in range(runs if first < 1000 else 5):  # a page of seconds: a few runs tell
            start = time.perf_counter()
            response = client.get(url)
            response.get_data()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append((f"{name} ({size // 1024} KiB)", *percentiles(times), len(times)))
    return results


def table(title: str, rows: list[tuple[str, float, float, int]]) -> None:
    print(f"\n{'measure' + (', ' + title if title else ''):46} {'median ms':>10} {'p95 ms':>8} "
          f"{'runs':>5}")
    for name, median, p95, runs in rows:
        mark = "" if median < 100 else "  (target < 100 ms: missed)"
        print(f"{name:46} {median:10.1f} {p95:8.1f} {runs:5}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"))
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--authors", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true",
                        help="a second reindex under cProfile, and one request of each page")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="measure the pages a second time after gc.freeze(), as a server "
                             "could freeze its start-up objects")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (SQLite database, repositories)")
    args = parser.parse_args()
    work = scratch("commons-bench-contributors-")
    uri = args.database_uri or f"sqlite:///{work}/contributors.sqlite3"
    if uri.startswith("postgresql"):
        engine = sa.create_engine(uri)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    config = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
              "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": uri, "COMMONS_REPOS_DIR": config["REPOS_DIR"],
           "COMMONS_EVIDENCE_DIR": config["EVIDENCE_DIR"], "COMMONS_SECRET_KEY": "bench"}
    try:
        app = create_app(config)
        with app.app_context():
            database = db.engine.dialect.name
            setup(app)
            path = repository_path(app.config["REPOS_DIR"], SLUG)
            history = generate_history(path, args.commits, args.authors)
            accounts = register_authors(history.identities)
            print(f"{database}: {history.commits:,} commits by {len(history.by_author):,} authors "
                  f"generated in {history.seconds:.1f} s (fast-import and repack); "
                  f"{accounts} of them have an account")
            top = sorted(history.by_author.values(), reverse=True)
            print(f"  top 10 authors {sum(top[:10]):,} commits, median author {top[len(top) // 2]}"
                  f", {history.co_authored:,} co-authored, {history.old_email_commits:,} under an "
                  f"address .mailmap maps, {history.recent_commits:,} in the last 90 days")
            print("  git: " + ", ".join(f"{k} {v:,}" for k, v in check_history(path, history).items()))
            alone, parsed_seconds, parsed = git_log_alone(path)
            print(f"  `git log --numstat` of main alone: {alone:.1f} s; read and parsed by "
                  f"indexing.parse_log: {parsed_seconds:.1f} s ({parsed:,} commits)")
            db.session.remove()
        seconds, rss, said = cli_reindex(env, work)
        print(f"`flask --app commons contributions reindex {SLUG}`: {seconds:.1f} s wall "
              f"(target < 60 s), peak RSS {rss:.0f} MiB\n  {said}")
        with app.app_context():
            print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in row_counts().items()))
            db.session.remove()
        if args.profile:
            stats_file = work / "reindex.prof"
            again, _rss, _said = cli_reindex(env, work, profile=stats_file)
            print(f"\nreindex again, under cProfile: {again:.1f} s")
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(str(stats_file), stream=out).sort_stats(order).print_stats(22)
                print(out.getvalue()[out.getvalue().find("   ncalls"):])
        print("pages:")
        rows = measure_pages(app, args.runs, args.profile)
        table("", rows)
        if args.gc_freeze:
            gc.collect()
            frozen = len(gc.get_objects())
            gc.freeze()
            table(f"after gc.freeze() of {frozen:,} objects", measure_pages(app, args.runs, False,
                                                                            quiet=True))
        with app.app_context():
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            remove(work)


if __name__ == "__main__":
    main()
