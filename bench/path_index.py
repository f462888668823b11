"""The path index on bench/browse.py's 80,000-commit history: how long the
reconciler takes to build it for a restored repository, how many rows it
writes, then appending one pushed commit, and a history page's look-up
against `git log --first-parent -- <path>` (with the commit-graph's Bloom
filters) for the same paths, on SQLite or PostgreSQL.

    COMMONS_BENCH_CACHE=DIR .venv/bin/python bench/path_index.py \\
        [--database-uri postgresql+psycopg://postgres@127.0.0.1:5432/bench_paths]

The repository is browse.py's cached one (made first if missing). A
PostgreSQL database given is emptied first.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from browse import cached_repository  # noqa: E402
from common import empty_database, git, remove, scratch  # noqa: E402

from commons import clock, create_app  # noqa: E402
from commons.accounts import services as accounts  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git import path_index, reading, sweeping  # noqa: E402
from commons.git.models import PathIndexChange, PathIndexCommit  # noqa: E402
from commons.projects import services as projects  # noqa: E402

PATHS = [f"src/module{n % 100}/file{n}.c" for n in (11, 23, 37, 41)] + ["src/module7", "src/core"]


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri")
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (SQLite database, repository)")
    args = parser.parse_args()
    source = cached_repository(args.commits, args.files)
    work = scratch("commons-bench-paths-")
    uri = args.database_uri or f"sqlite:///{work}/paths.sqlite3"
    if uri.startswith("postgresql"):
        empty_database(uri)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                          "REPOS_DIR": str(work / "repos")})
        with app.app_context():
            db.create_all()
            now = clock.now()
            user = accounts.register_user(db.session, "bench", "bench@example.org",
                                          "a long bench password", now, confirmed_at=now)
            project = projects.create_project(db.session, user, projects.NewProject(
                name="Big", slug="big", license="MIT"), projects.Settings.from_config(app.config),
                now=now)
            db.session.commit()
            repo = work / "repos" / "big.git"
            shutil.rmtree(repo)
            shutil.copytree(source, repo, symlinks=True)
            (repo / "commons-bench-complete").unlink()
            sweeping.write_commit_graph(repo)
            print(f"database: {uri.split('://')[0]}; load average {os.getloadavg()[0]:.1f}")

            wall, used = time.perf_counter(), cpu()
            indexed = path_index.update(db.session, project.id, repo, "main")
            wall, used = time.perf_counter() - wall, cpu() - used
            rows = db.session.scalar(sa.select(sa.func.count()).select_from(PathIndexChange))
            print(f"build: {indexed} commits, {rows} path rows, {wall:.1f} s wall, "
                  f"{used:.1f} s CPU (this process, git and on SQLite the database)")

            # One pushed commit appended, as after a push.
            tip = git("rev-parse", "main", cwd=repo).stdout.decode().strip()
            tree = git("rev-parse", "main^{tree}", cwd=repo).stdout.decode().strip()
            new = subprocess.run(["git", "commit-tree", tree, "-p", tip, "-m", "Pushed"], cwd=repo,
                                 capture_output=True, check=True, env={
                                     **os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
                                     "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"},
                                 ).stdout.decode().strip()
            git("update-ref", "refs/heads/main", new, cwd=repo)
            wall = time.perf_counter()
            path_index.update(db.session, project.id, repo, "main")
            print(f"append one commit: {(time.perf_counter() - wall) * 1000:.1f} ms")
            assert db.session.scalar(sa.select(sa.func.count()).select_from(PathIndexCommit)) \
                == indexed + 1

            print(f"\n{'path (page 1, 51 commits)':<28}{'index ms':>10}{'git ms':>10}"
                  f"{'commits':>9}  same")
            for subpath in PATHS:
                ours, theirs = [], []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    shas = path_index.indexed(db.session, project.id, new, subpath, 51)
                    found = reading.entries(repo, shas or [])
                    ours.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                    started = time.perf_counter()
                    walked = reading._git_log(repo, new, subpath, 51)
                    theirs.append((time.perf_counter() - started) * 1000)
                print(f"{subpath:<28}{statistics.median(ours):>10.2f}"
                      f"{statistics.median(theirs):>10.1f}{len(found):>9}  "
                      f"{'yes' if found == walked else 'NO'}")
            print(f"(medians of {args.requests}; load average {os.getloadavg()[0]:.1f})")
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            remove(work)


if __name__ == "__main__":
    main()
