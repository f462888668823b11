"""Browse pages of a large repository through commons (gunicorn), beside
Debian's cgit (nginx + fcgiwrap) on the same repository, in the same run.

    .venv/bin/python bench/browse.py [--commits 80000] [--files 3000] [--requests 15]

The repository is generated once with `git fast-import` and cached in
$COMMONS_BENCH_CACHE or bench/.cache/ (git ignores it): main has *commits*
commits over *files* small files in 100 folders and five ~200 KB C files in
src/core/ (from the first commit), one to three small files changed per
commit, a merge of a three-commit side branch every 100 commits, an
annotated tag every 100 commits (800 for 80,000, as many as git's or
Linux's own histories carry) and 40 branches besides main. It is copied into commons'
repos folder as a restored backup would be (no commit-graph, no bitmaps);
then a `flask worker` runs what commons runs at a worker's start, until the
repository has a commit-graph and the path index is built (or --settle
seconds pass).

Prints the median time of each page in milliseconds and the ratio to cgit.
"""

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import time
import urllib.request
from contextlib import ExitStack, closing
from pathlib import Path

from common import BIN, GIT_ENV, ROOT, cgit_server, commons_server, git, remove, scratch
from git_transport import commons_project

CACHE = Path(os.environ.get("COMMONS_BENCH_CACHE") or Path(__file__).parent / ".cache")
START = 1_262_304_000  # 2010-01-01, one commit a minute from there
BIG_FILES = 5
MERGE_EVERY = 100
TAG_EVERY = 100
BRANCHES = 40


def _small(number: int, version: int) -> bytes:
    lines = [f"/* src/module{number % 100}/file{number}.c */\n",
             f"static int version = {version};\n"]
    lines += [f"int function_{number}_{n}(int x) {{ return x * {n} + {number}; }}\n"
              for n in range(30)]
    return "".join(lines).encode()


def _big(number: int, version: int) -> bytes:
    """About 200 KB of C-like text."""
    parts = [f"/* src/core/big{number}.c, version {version} */\n#include <stdio.h>\n\n"]
    for n in range(2600):
        parts.append(f"static int step_{n}(int value, const char *name)\n{{\n"
                     f"    if (value > {n}) return printf(\"%s {n}\\n\", name);\n"
                     f"    return value + {n * 7 % 97};\n}}\n")
    return "".join(parts).encode()


def generate(path: Path, commits: int, files: int) -> None:
    """See the module's docstring."""
    git("init", "-q", "--bare", "-b", "main", str(path))
    process = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=path,
                               env=GIT_ENV, stdin=subprocess.PIPE)
    out = process.stdin
    mark = 0

    def commit(ref: str, number: int, message: str, changes: list[tuple[str, bytes]],
               parent: int | None = None, merge: int | None = None) -> int:
        nonlocal mark
        mark += 1
        stamp = START + number * 60
        who = f"Dev{number % 50} <dev{number % 50}@example.org> {stamp} +0000"
        body = message.encode()
        out.write(f"commit {ref}\nmark :{mark}\nauthor {who}\ncommitter {who}\n".encode())
        out.write(b"data %d\n%s\n" % (len(body), body))
        if parent is not None:
            out.write(f"from :{parent}\n".encode())
        if merge is not None:
            out.write(f"merge :{merge}\n".encode())
        for name, data in changes:
            out.write(f"M 100644 inline {name}\ndata {len(data)}\n".encode())
            out.write(data + b"\n")
        return mark

    first = [(f"src/module{n % 100}/file{n}.c", _small(n, 0)) for n in range(files)]
    first += [(f"src/core/big{n}.c", _big(n, 0)) for n in range(BIG_FILES)]
    first += [("README.md", b"# Big\n\nA generated history for bench/browse.py.\n")]
    head = commit("refs/heads/main", 0, "Start", first)
    number = 1
    while number < commits:
        if number % MERGE_EVERY == 0 and number + 4 <= commits:
            side, brought = head, []
            for step in range(3):
                changed = (number * 7 + step) % files
                brought.append((f"src/module{changed % 100}/file{changed}.c",
                                _small(changed, number)))
                side = commit("refs/heads/side", number, f"Side work on file {changed}",
                              brought[-1:], parent=side)
                number += 1
            head = commit("refs/heads/main", number, f"Merge side work {number}", brought,
                          parent=head, merge=side)
            number += 1
            continue
        changes = []
        for extra in range(1 + number % 3):
            changed = (number * 13 + extra * 101) % files
            changes.append((f"src/module{changed % 100}/file{changed}.c",
                            _small(changed, number)))
        head = commit("refs/heads/main", number, f"Change {number}", changes, parent=head)
        if number % TAG_EVERY == TAG_EVERY // 2:
            stamp = START + number * 60 + 30
            note = f"Release {number // TAG_EVERY}\n\nEverything up to change {number}.\n".encode()
            out.write(f"tag v1.{number // TAG_EVERY}\nfrom :{head}\n"
                      f"tagger Dev0 <dev0@example.org> {stamp} +0000\n".encode())
            out.write(b"data %d\n%s\n" % (len(note), note))
        number += 1
    # Branches left at older commits, as topics and maintenance lines are.
    for branch in range(BRANCHES):
        out.write(f"reset refs/heads/topic-{branch}\nfrom :{max(1, mark - branch * 997)}\n\n"
                  .encode())
    out.write(b"done\n")
    out.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")
    git("update-ref", "-d", "refs/heads/side", cwd=path, check=False)
    git("repack", "-adfq", "--window=10", "--depth=50", cwd=path)
    git("gc", "-q", "--prune=now", cwd=path, env={"GIT_CONFIG_PARAMETERS": "'gc.writeCommitGraph=false'"})
    for leftover in ("objects/info/commit-graph", "objects/info/commit-graphs"):
        remove(path / leftover)
        if (path / leftover).is_file():
            (path / leftover).unlink()


def cached_repository(commits: int, files: int) -> Path:
    name = f"browse-{commits}c-{files}f-v2.git"
    path = CACHE / name
    if (path / "commons-bench-complete").exists():
        print(f"repository: cached in {path}")
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = CACHE / f".{name}-making"
    remove(staging)
    started = time.perf_counter()
    generate(staging, commits, files)
    (staging / "commons-bench-complete").touch()
    remove(path)
    staging.rename(path)
    print(f"repository: made in {time.perf_counter() - started:.0f} s, cached in {path}")
    return path


def has_commit_graph(path: Path) -> bool:
    info = path / "objects" / "info"
    return (info / "commit-graph").exists() or (info / "commit-graphs" / "commit-graph-chain").exists()


def has_path_index(target: Path, database: Path) -> bool | None:
    """Whether the reconciler has indexed the paths of the repository's main
    up to its tip (None: a commons without a path index)."""
    with closing(sqlite3.connect(database, timeout=60)) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'path_index_lines'"
                                  ).fetchone():
            return None
        tip = git("rev-parse", "main", cwd=target).stdout.decode().strip()
        return connection.execute("SELECT 1 FROM path_index_lines WHERE tip = ?", (tip,)
                                  ).fetchone() is not None


def settled(target: Path, database: Path) -> bool:
    return has_commit_graph(target) and has_path_index(target, database) is not False


def restore(source: Path, target: Path, env: dict, settle: float, root: Path = ROOT) -> None:
    """Copy *source* over the project's repository as a restored backup
    would be, then run a worker (what commons does at a worker's start)
    until the repository has a commit-graph and its path index (when that
    commons keeps one), or *settle* seconds pass."""
    database = Path(env["COMMONS_SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    remove(target)
    shutil.copytree(source, target, symlinks=True)
    (target / "commons-bench-complete").unlink()
    remove(target / "objects" / "info" / "commit-graphs")
    (target / "objects" / "info" / "commit-graph").unlink(missing_ok=True)
    started = time.perf_counter()
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "commons", "worker"], cwd=root,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < settle and not settled(target, database):
            time.sleep(0.5)
        time.sleep(1)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    waited = time.perf_counter() - started
    indexed = {None: "", True: ", path index built", False: ", path index NOT built"}[
        has_path_index(target, database)]
    print(f"restored for {root}: commit-graph "
          f"{'written' if has_commit_graph(target) else 'NOT written'}{indexed}"
          f" ({waited:.1f} s after the worker started)")


def workers(server: int) -> list[int]:
    """The gunicorn workers of the server whose process is *server*."""
    return [int(pid) for pid in subprocess.run(["ps", "-o", "pid=", "--ppid", str(server)],
                                               capture_output=True, text=True).stdout.split()]


def children(worker: int) -> list[str]:
    """The command lines of *worker*'s child processes (its long-lived gits)."""
    lines = subprocess.run(["ps", "-o", "args=", "--ppid", str(worker)],
                           capture_output=True, text=True).stdout.splitlines()
    return [line.strip() for line in lines]


def timed(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


def medians(urls: list[str], requests: int) -> list[float]:
    """The median of each URL's times, the URLs taking turns."""
    for url in urls:
        timed(url)  # warm up
    times: list[list[float]] = [[] for _ in urls]
    for _ in range(requests):
        for index, url in enumerate(urls):
            times[index].append(timed(url))
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--settle", type=float, default=300,
                        help="seconds the worker may take to write the commit-graph "
                             "and the path index")
    parser.add_argument("--before", type=Path,
                        help="another checkout of commons (e.g. `git archive main`) served "
                             "beside this one, for before and after in the same run")
    args = parser.parse_args()
    source = cached_repository(args.commits, args.files)
    first_parent = git("rev-list", "--first-parent", "main", cwd=source).stdout.decode().split()
    merges = git("rev-list", "--merges", "-n5", "main", cwd=source).stdout.decode().split()
    big = "src/core/big1.c"
    print(f"main: {len(first_parent)} first-parent commits, "
          f"{git('rev-list', '--count', 'main', cwd=source).stdout.decode().strip()} in all")
    work = scratch("commons-bench-browse-")
    roots = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    try:
        with ExitStack() as stack:
            bases: list[str] = []
            servers: list[int] = []
            for name, root in roots:
                folder = work / name
                folder.mkdir()
                # The rendering cache of this run only: a first view is one.
                extra = {"COMMONS_QUEUE_URL": f"sqlite:///{folder}/jobs.sqlite3",
                         "COMMONS_CACHE_URL": f"file://{folder}/render-cache"}
                base, env, pid = stack.enter_context(
                    commons_server(folder, extra_env=extra, root=root))
                commons_project(base, env, "big")
                # Every copy's worker writes the commit-graph now (the
                # reconciler): each gets the time it takes.
                restore(source, folder / "repos" / "big.git", env, args.settle, root)
                bases.append(f"{base}/projects/big")
                servers.append(pid)
            cgit = stack.enter_context(
                cgit_server(work / "after" / "repos" / "big.git", "big", work))
            back = first_parent[10_000 - 1] if len(first_parent) > 10_000 else first_parent[-2]
            path = "src/module7/file7.c"
            merge = merges[0]
            pages = [
                ("tree /", "/tree/main", "/tree/"),
                ("tree src/module7", "/tree/main/src/module7", "/tree/src/module7"),
                ("blob 200 KB, 2nd view", f"/blob/main/{big}", f"/tree/{big}"),
                ("history page 1", "/commits/main", "/log/"),
                ("history 10,000 back", f"/commits/main?after={back}", "/log/?ofs=10000"),
                ("history of one path", f"/commits/main/{path}", f"/log/{path}"),
                ("merge commit", f"/commit/{merge}", f"/commit/?id={merge}"),
                ("branches", "/branches", "/refs/heads"),
                ("tags", "/tags", "/refs/tags"),
            ]
            names = [name for name, _ in roots]
            header = "".join(f"{n + ' ms':>12}" for n in names) + f"{'cgit ms':>10}" + \
                "".join(f"{n + '/cgit':>13}" for n in names)

            def row(name: str, figures: list[float], note: str = "") -> None:
                *ours, theirs = figures
                print(f"{name:<24}" + "".join(f"{f:>12.1f}" for f in ours) + f"{theirs:>10.1f}"
                      + "".join(f"{f / theirs:>13.2f}" for f in ours) + note)

            # Workers as a running server's are: templates compiled, modules
            # imported, cat-file started, by other pages than those measured
            # (each asked a few times, so that both workers serve it).
            ordinary = git("rev-list", "--no-merges", "-n40", "main", cwd=source).stdout.decode().split()
            for url in ("/tree/main", "/blob/main/README.md", "/blob/main/src/module3/file3.c",
                        f"/commit/{ordinary[0]}", f"/commit/{ordinary[1]}", "/commits/main",
                        "/commits/main/src/module3/file3.c"):
                for base in bases:
                    for _ in range(4):
                        timed(base + url)
            # A commit viewed again comes from the rendering cache, so the
            # views above may have started the long-lived diff-tree in one
            # worker only; a worker serving commits has one. Other commits,
            # once each, until every worker has (or 38 were asked).
            for base, pid in zip(bases, servers, strict=True):
                for sha in ordinary[2:]:
                    if all("diff-tree" in " ".join(children(worker)) for worker in workers(pid)):
                        break
                    timed(f"{base}/commit/{sha}")
                print("warmed workers: " + "; ".join(
                    f"{w} with " + " and ".join(kind for kind in ("cat-file", "diff-tree")
                                                if kind in " ".join(children(w)))
                    for w in workers(pid)))
            print(f"\n{'page':<24}{header}")
            # First views (nothing cached yet): other large files, other
            # paths' histories, other merges, each asked once.
            others = [f"src/core/big{n}.c" for n in range(BIG_FILES) if f"src/core/big{n}.c" != big]
            paths = [f"src/module{n % 100}/file{n}.c" for n in (11, 23, 37, 41)]
            for name, firsts in (
                    ("blob 200 KB, 1st view", [([f"/blob/main/{o}"], f"/tree/{o}") for o in others]),
                    ("path history, 1st view", [([f"/commits/main/{p}"], f"/log/{p}") for p in paths]),
                    ("merge commit, 1st view", [([f"/commit/{m}"], f"/commit/?id={m}")
                                                for m in merges[1:]])):
                urls = [[base + mine[0] for base in bases] + [cgit + theirs]
                        for mine, theirs in firsts]
                row(name, [statistics.median(timed(u[i]) for u in urls)
                           for i in range(len(bases) + 1)], f"   (median of {len(urls)})")
            for name, mine, theirs in pages:
                row(name, medians([base + mine for base in bases] + [cgit + theirs],
                                  args.requests))
            # A ref pushed before each view: a worker that keeps the lists
            # lists again (cgit lists on every view).
            for kind, ref in (("branches", "refs/heads/pushed-{}"), ("tags", "refs/tags/pushed-{}")):
                times: list[list[float]] = [[] for _ in range(len(bases) + 1)]
                for number in range(4):
                    for name, _ in roots:
                        git("update-ref", ref.format(number), ordinary[number],
                            cwd=work / name / "repos" / "big.git")
                    for index, url in enumerate([f"{base}/{kind}" for base in bases]
                                                + [f"{cgit}/refs/{ref.split('/')[1]}"]):
                        times[index].append(timed(url))
                row(f"{kind}, after a push", [statistics.median(t) for t in times],
                    "   (median of 4)")
            print(f"(medians of {args.requests} requests, taking turns; load average "
                  f"{os.getloadavg()[0]:.1f}; target: commons under 100 ms each, "
                  f"at most 1.5 x cgit)")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
