"""Where a browse page's time goes: one request at a time through the app's
test client, on bench/browse.py's repository (built first if not cached),
under cProfile, with the git processes each request starts counted.

    .venv/bin/python bench/browse_profile.py [--top 25] [--runs 5]

The app is warmed first on other pages (templates compiled, imports done,
the cat-file reader started), as a running server's workers are; each page
is then asked for things nothing has cached yet (other files, other
merges), once under cProfile and *runs* times for the wall time."""

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browse import BIG_FILES, cached_repository  # noqa: E402
from common import git  # noqa: E402

from commons import clock, create_app  # noqa: E402
from commons.accounts.services import register_user  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git import sweeping  # noqa: E402
from commons.projects import services as projects  # noqa: E402


class Spawns:
    """Counts the processes the app starts (git, all of them)."""

    def __init__(self):
        self.commands: list[list[str]] = []
        self._init = subprocess.Popen.__init__
        spawns = self

        def counting(popen, args, *rest, **options):
            spawns.commands.append([str(a) for a in args])
            spawns._init(popen, args, *rest, **options)

        subprocess.Popen.__init__ = counting  # type: ignore[method-assign]

    def take(self) -> list[list[str]]:
        taken, self.commands = self.commands, []
        return taken


def served(work: Path, commits: int, files: int):
    """(app, test client, repository): the app on a fresh SQLite database in
    *work*, project "big" holding the bench repository (with the
    commit-graph a worker writes), warmed up on other pages."""
    source = cached_repository(commits, files)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{work}/commons.sqlite3", "REPOS_DIR": str(work / "repos"),
                      "QUEUE_URL": "immediate", "CACHE_URL": f"file://{work}/cache"})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        now = clock.now()
        user = register_user(db.session, "bench", "bench@example.org", "x" * 12, now=now,
                             confirmed_at=now)
        projects.create_project(db.session, user, projects.NewProject(
            name="Big", slug="big", license="MIT"), projects.Settings.from_config(app.config),
            now=now)
        db.session.commit()
    target = work / "repos" / "big.git"
    shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=True)
    sweeping.write_commit_graph(target)
    plain = git("rev-list", "--no-merges", "-n3", "main", cwd=target).stdout.decode().split()
    client = app.test_client()
    for url in ("/projects/big/tree/main", "/projects/big/blob/main/README.md",
                "/projects/big/blob/main/src/module3/file3.c", f"/projects/big/commit/{plain[0]}",
                "/projects/big/commits/main/src/module3/file3.c", "/projects/big/commits/main",
                f"/projects/big/commits/main?after={plain[2]}"):
        assert client.get(url).status_code == 200, url  # warm up
    return app, client, target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="profile only the pages whose name holds this")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="commons-bench-profile-"))
    try:
        app, client, target = served(work, args.commits, args.files)
        merges = git("rev-list", "--merges", "-n12", "main", cwd=target).stdout.decode().split()
        spawns = Spawns()
        bigs = [f"src/core/big{n}.c" for n in range(BIG_FILES)]
        pages = {
            "blob 200 KB, 1st view": [f"/projects/big/blob/main/{b}" for b in bigs],
            "merge commit, 1st view": [f"/projects/big/commit/{m}" for m in merges],
            "history page 1": ["/projects/big/commits/main"] * (1 + args.runs),
            "branches": ["/projects/big/branches"] * (1 + args.runs),
            "tags": ["/projects/big/tags"] * (1 + args.runs),
        }
        for name, urls in pages.items():
            if args.only and args.only not in name:
                continue
            profile = cProfile.Profile()
            spawns.take()
            response = profile.runcall(client.get, urls[0])
            assert response.status_code == 200, urls[0]
            started = spawns.take()
            response.close()
            times, cpu, after = [], [], []
            for url in urls[1:1 + args.runs]:
                start, start_cpu = time.perf_counter(), time.thread_time()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
                assert response.status_code == 200, url
                size = len(response.get_data())
                # Closed as a server closes it once the body is sent: what
                # the page leaves until then (cache writes) is timed apart.
                start_cpu = time.thread_time()
                response.close()
                after.append((time.thread_time() - start_cpu) * 1000)
            print(f"\n=== {name}: {size} bytes of HTML; "
                  f"median {statistics.median(times):.1f} ms of {len(times)} "
                  f"(unprofiled; CPU {statistics.median(cpu):.2f} ms to the response, "
                  f"{statistics.median(after):.2f} ms after it); "
                  f"{len(started)} processes started:")
            for command in started:
                print("   ", " ".join(command)[:160])
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
