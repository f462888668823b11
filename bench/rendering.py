"""First and second views of the pages that render: a ~200 KB C file, a
large README and a large commit diff, through commons under gunicorn
(2 gthread workers, as `make run` and the other benches).

    .venv/bin/python bench/rendering.py [--rounds 7] [--views 7] [--root DIR]

Each round views a page nobody viewed before (its own blob, README and
commit), so the first view finds nothing cached; then the same page again
*views* times (the second view and after). Prints the medians in ms.

Before and after in one run: with COMMONS_CACHE_URL=null (nothing kept)
and with the default (a folder in the instance folder), or against other
code with --root (e.g. `git archive main | tar -x -C /tmp/before`).
"""

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from common import BIN, GIT_ENV, free_port, git, remove, scratch, wait_for
from git_transport import commons_project

TYPES = ("int", "long", "size_t", "unsigned", "char *", "struct node *", "const char *", "bool")
WORDS = ("buffer", "count", "index", "node", "entry", "offset", "length", "flags", "state",
         "cursor", "limit", "table", "parent", "child", "hash", "name", "value", "result")


def c_source(rng: random.Random, size: int) -> str:
    """C-like code of about *size* bytes: includes, structs, functions with
    loops, conditions, switches, calls and comments."""
    out = ["/*\n * Generated for the rendering benchmark.\n */\n",
           "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
           "#define MAX_ENTRIES 4096\n#define ALIGN(x) (((x) + 7) & ~7)\n\n"]
    total, number = sum(map(len, out)), 0
    while total < size:
        number += 1
        a, b, c = rng.sample(WORDS, 3)
        kind = rng.choice(TYPES)
        block = (
            f"struct {a}_{number} {{\n\t{kind} {b};\n\tint {c}[{rng.randint(2, 64)}];\n"
            f"\tstruct {a}_{number} *next;\n}};\n\n"
            f"/* Walk the {a}s and return the {c} of the first with this {b} (0x{number:04x}). */\n"
            f"static int {a}_{b}_{number}(struct {a}_{number} *{a}, {kind} {b}, size_t {c})\n"
            f"{{\n\tint i, total = 0;\n\n"
            f"\tfor (i = 0; i < (int){c} && {a} != NULL; i++, {a} = {a}->next) {{\n"
            f"\t\tif ({a}->{b} == {b})\n\t\t\treturn {a}->{c}[i % {rng.randint(2, 64)}];\n"
            f"\t\tswitch (i & 3) {{\n\t\tcase 0:\n\t\t\ttotal += ALIGN(i);\n\t\t\tbreak;\n"
            f"\t\tdefault:\n\t\t\ttotal ^= {rng.randint(1, 1 << 16)};\n\t\t}}\n\t}}\n"
            f"\tif (total > MAX_ENTRIES)\n\t\tfprintf(stderr, \"%s: %d {a}s\\n\", \"{b}\", total);\n"
            f"\treturn total;\n}}\n\n")
        out.append(block)
        total += len(block)
    return "".join(out)


def readme(rng: random.Random, sections: int) -> str:
    """A long README: headings, paragraphs with emphasis and links, lists,
    code blocks and tables."""
    parts = ["# Project\n\nA generated README for the rendering benchmark.\n\n"]
    for number in range(sections):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        parts.append(
            f"## Section {number}\n\n{words.capitalize()}, with *emphasis*, **strong** and "
            f"[a link](https://example.org/{number}) and `code_{number}()`.\n\n"
            f"- the {rng.choice(WORDS)} first\n- then the {rng.choice(WORDS)}\n"
            f"  - nested {rng.choice(WORDS)}\n\n"
            f"```c\nint main(void) {{ return {number}; }}\n```\n\n"
            f"| name | value |\n|---|---|\n| {rng.choice(WORDS)} | {number} |\n\n")
    return "".join(parts)


def build(path: Path, rounds: int, size: int, seed: int = 18) -> list[str]:
    """A bare repository: one commit adding, per round, src/bigN.c and
    docsN/README.md, then one commit per round changing ~1 line in 8 of
    src/bigN.c (a diff of a few thousand lines). Returns those commits."""
    rng = random.Random(seed)
    git("init", "-q", "--bare", "-b", "main", str(path))
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    write = process.stdin.write

    def commit(message: str, files: dict[str, str], stamp: int, first: bool = False) -> None:
        write(f"commit refs/heads/main\nmark :{stamp}\n"
              f"committer Bench <bench@example.org> {1_700_000_000 + stamp} +0000\n".encode())
        write(b"data %d\n%s\n" % (len(message), message.encode()))
        if not first:
            write(f"from :{stamp - 1}\n".encode())
        for name, text in files.items():
            data = text.encode()
            write(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")

    sources = {f"src/big{n}.c": c_source(rng, size) for n in range(rounds + 1)}
    readmes = {f"docs{n}/README.md": readme(rng, 300) for n in range(rounds + 1)}
    commit("Start", {**sources, **readmes, "README.md": readme(rng, 300)}, 1, first=True)
    for n in range(rounds + 1):
        lines = sources[f"src/big{n}.c"].split("\n")
        for i in range(0, len(lines), 8):
            if lines[i].startswith("\t"):
                lines[i] += f" /* changed {n}.{i} */"
        commit(f"Change big{n}.c", {f"src/big{n}.c": "\n".join(lines)}, n + 2)
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")
    git("repack", "-adq", cwd=path)
    return git("rev-list", "--reverse", "main", cwd=path).stdout.decode().split()[1:]


@contextmanager
def server(workdir: Path, root: Path, extra_env: dict):
    """commons from *root* under gunicorn, 2 gthread workers of 8 threads."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/commons.sqlite3",
           "COMMONS_REPOS_DIR": str(workdir / "repos"), "COMMONS_SECRET_KEY": "bench",
           "COMMONS_QUEUE_URL": "immediate", "PYTHONPATH": str(root), **extra_env}
    subprocess.run([str(BIN / "flask"), "--app", "commons", "db", "upgrade"], env=env, cwd=root,
                   check=True, capture_output=True)
    port = free_port()
    log = open(workdir / "gunicorn.log", "w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "2", "--threads", "8",
         "--bind", f"127.0.0.1:{port}", "--timeout", "600", "commons:create_app()"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/projects")
        yield base, env
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        log.close()


def get_ms(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7, help="pages viewed first")
    parser.add_argument("--views", type=int, default=7, help="later views per round")
    parser.add_argument("--size", type=int, default=200_000, help="bytes of the C file")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the commons checkout to serve")
    args = parser.parse_args()
    work = scratch("commons-bench-rendering-")
    try:
        source = work / "render.git"
        commits = build(source, args.rounds, args.size)
        cache = os.environ.get("COMMONS_CACHE_URL")
        extra = {"COMMONS_CACHE_URL": cache} if cache else {
            "COMMONS_CACHE_URL": str(work / "render-cache")}  # fresh, not the checkout's
        with server(work, args.root.resolve(), extra) as (base, env):
            commons_project(base, env, "render")
            target = work / "repos" / "render.git"
            remove(target)
            git("clone", "-q", "--bare", str(source), str(target))
            ours = f"{base}/projects/render"
            blob = f"{ours}/blob/main/src/big{{}}.c"
            pages = [  # in this order: the plain file first, then asked highlighted
                ("blob 200 KB C", lambda n: blob.format(n)),
                ("blob ?highlight=1", lambda n: blob.format(n) + "?highlight=1"),
                ("blob after that", lambda n: blob.format(n)),
                ("README (tree page)", lambda n: f"{ours}/tree/main/docs{n}"),
                ("commit diff", lambda n: f"{ours}/commit/{commits[n]}"),
            ]
            for _ in range(4):
                get_ms(f"{ours}/tree/main")  # each worker past its first request
            size = len(urllib.request.urlopen(blob.format(0)).read())
            print(f"COMMONS_CACHE_URL={cache or '(default: a folder)'}  root={args.root}")
            print(f"{'page':<22}{'first ms':>10}{'second ms':>11}")
            for name, url in pages:
                first, later = [], []
                for n in range(1, args.rounds + 1):
                    first.append(get_ms(url(n)))
                    later.extend(get_ms(url(n)) for _ in range(args.views))
                print(f"{name:<22}{statistics.median(first):>10.1f}"
                      f"{statistics.median(later):>11.1f}")
            home = [get_ms(ours) for _ in range(args.views + 1)]
            print(f"{'project home README':<22}{home[0]:>10.1f}{statistics.median(home[1:]):>11.1f}")
            print(f"(first: median of {args.rounds} pages never viewed; second: median of "
                  f"{args.views} views of each; blob page {size // 1024} KB of HTML; "
                  f"load average {os.getloadavg()[0]:.2f})")
    finally:
        remove(work)


if __name__ == "__main__":
    sys.exit(main())
