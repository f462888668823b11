"""Browse pages of a large repository through commons (gunicorn), beside
Debian's cgit (nginx + fcgiwrap) on the same repository, in the same run.

    .venv/bin/python bench/browse.py [--commits 80000] [--files 5000] [--requests 20]

Prints the median time of each page in milliseconds (target: under 100 ms
each, history page 500 as fast as page 1) and the ratio to cgit.
"""

import argparse
import statistics
import subprocess
import time
import urllib.request

from common import GIT_ENV, cgit_server, commons_server, git, remove, scratch
from git_transport import commons_project


def generate(path, commits: int, files: int) -> None:
    """main: a first commit with *files* files in 100 folders, then
    commits-1 commits each changing one line of one file."""
    git("init", "-q", "--bare", "-b", "main", str(path))
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    write = process.stdin.write
    source = "".join(f"def function_{n}(x):\n    return x * {n}\n\n" for n in range(40)).encode()
    write(b"commit refs/heads/main\ncommitter Bench <bench@example.org> 1600000000 +0000\n"
          b"data 5\nStart\n")
    for number in range(files):
        write(f"M 100644 inline src/module{number % 100}/file{number}.py\n".encode())
        write(b"data %d\n%s\n" % (len(source), source))
    for number in range(1, commits):
        message = f"Tune file {number % files}".encode()
        content = source + f"VALUE = {number}\n".encode()
        write(f"commit refs/heads/main\ncommitter Bench <bench@example.org> "
              f"{1_600_000_000 + number} +0000\n".encode())
        write(b"data %d\n%s\n" % (len(message), message))
        write(f"M 100644 inline src/module{number % files % 100}/file{number % files}.py\n".encode())
        write(b"data %d\n%s\n" % (len(content), content))
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")
    git("repack", "-adq", "--write-bitmap-index", cwd=path)
    git("commit-graph", "write", "--reachable", cwd=path)


def median_ms(url: str, requests: int) -> float:
    urllib.request.urlopen(url).read()  # warm up
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        with urllib.request.urlopen(url) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    work = scratch("commons-bench-browse-")
    try:
        source = work / "big.git"
        started = time.perf_counter()
        generate(source, args.commits, args.files)
        print(f"repository: {args.commits} commits, {args.files} files "
              f"(made in {time.perf_counter() - started:.0f} s)")
        first_parent = git("rev-list", "--first-parent", "main", cwd=source).stdout.decode().split()
        deep = min(500, len(first_parent) // 50)  # page 500, or the last full one
        deep_after = first_parent[(deep - 1) * 50 - 1]
        head = first_parent[0]
        with commons_server(work) as (base, env, _), cgit_server(source, "big", work) as cgit:
            commons_project(base, env, "big")
            target = work / "repos" / "big.git"
            remove(target)
            git("clone", "-q", "--bare", str(source), str(target))
            git("commit-graph", "write", "--reachable", cwd=target)
            ours = f"{base}/projects/big"
            pages = [
                ("tree /", f"{ours}/tree/main", f"{cgit}/tree/"),
                ("tree folder", f"{ours}/tree/main/src/module7", f"{cgit}/tree/src/module7"),
                ("blob", f"{ours}/blob/main/src/module7/file7.py", f"{cgit}/tree/src/module7/file7.py"),
                ("log page 1", f"{ours}/commits/main", f"{cgit}/log/"),
                (f"log page {deep}", f"{ours}/commits/main?after={deep_after}",
                 f"{cgit}/log/?ofs={(deep - 1) * 50}"),
                ("commit", f"{ours}/commit/{head}", f"{cgit}/commit/?id={head}"),
            ]
            print(f"\n{'page':<14}{'commons ms':>12}{'cgit ms':>10}{'ratio':>8}")
            for name, mine, theirs in pages:
                a, b = median_ms(mine, args.requests), median_ms(theirs, args.requests)
                print(f"{name:<14}{a:>12.1f}{b:>10.1f}{a / b:>8.2f}")
            print(f"(medians of {args.requests} requests; target: commons under 100 ms each)")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
