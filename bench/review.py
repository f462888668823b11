"""Reviewing a large merge proposal: the Changes view, the compare page and
the mergeability check of a branch touching 500 files and 20,000 lines, on
an 80,000-commit repository served by commons under gunicorn.

    .venv/bin/python bench/review.py [--commits 80000] [--files 3000]
        [--branch-files 500] [--branch-lines 20000] [--requests 15]

Targets (issue 14): Changes view median <= 300 ms and server memory growth
<= 50 MB; mergeability median <= 200 ms. Prints, per page, the median and
p90 of --requests requests (after a few unmeasured ones, the very first
printed) and the growth of each gunicorn worker's RSS; mergeability is
called in-process, first and uncached apart from cached repeats, and set
beside raw `git merge-tree --write-tree` on the same commits.

A page that answers 404 is skipped with a note (it is not built yet on this
branch), as is a missing `commons.git.merging.mergeability`.

The generated repository is cached (it takes a minute or two to make) in
$COMMONS_BENCH_CACHE, or bench/.cache, under a name that holds the sizes;
delete the folder to make it again.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import GIT_ENV, commons_server, git, remove, scratch  # noqa: E402
from git_transport import rss_kb, workers  # noqa: E402

from commons import create_app  # noqa: E402
from commons.accounts import services as accounts  # noqa: E402
from commons.extensions import db  # noqa: E402
from commons.git import merging  # noqa: E402
from commons.git.repositories import repository_path  # noqa: E402
from commons.projects import services as projects  # noqa: E402
from commons.types import utcnow  # noqa: E402

SLUG, BRANCH = "big", "review"
CACHE = Path(os.environ.get("COMMONS_BENCH_CACHE") or Path(__file__).parent / ".cache")
START = 1_262_304_000  # 2010-01-01: one commit a minute from there


def _base_lines(number: int, count: int) -> list[str]:
    return [f"# src/pkg{number % 100}/module{number}.py\n"] + [
        f"value_{line} = compute({number}, {line})  # step {line} of module {number}\n"
        for line in range(1, count)]


def _changed(lines: list[str], replaced: int) -> list[str]:
    """The branch's version: *replaced* lines from the tenth rewritten, far
    from the last line (the one main keeps changing), so the merge is clean
    but git has to merge the file's content."""
    return lines[:10] + [line.replace("compute(", "compute_faster(") for line in
                         lines[10:10 + replaced]] + lines[10 + replaced:]


def generate(path: Path, commits: int, files: int, branch_files: int, branch_lines: int,
             branch_commits: int, behind: int) -> None:
    """A bare repository: main has *commits* commits, the first adding *files*
    files, each later one changing one file's last line; the branch forks
    *behind* commits before main's end, with *branch_commits* commits that
    rewrite lines of *branch_files* files, *branch_lines* lines changed in
    all (added plus removed)."""
    replaced = max(1, branch_lines // branch_files // 2)
    count = max(60, replaced + 20)
    bases = {number: _base_lines(number, count) for number in range(files)}
    values = dict.fromkeys(range(files), 0)
    fork = commits - min(behind, commits // 2)
    git("init", "-q", "--bare", "-b", "main", str(path))
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    write = process.stdin.write

    def name(number: int) -> str:
        return f"src/pkg{number % 100}/module{number}.py"

    def blob(number: int, lines: list[str]) -> None:
        data = ("".join(lines) + f"VALUE = {values[number]}\n").encode()
        write(f"M 100644 inline {name(number)}\ndata {len(data)}\n".encode() + data + b"\n")

    def commit(ref: str, stamp: int, message: str) -> None:
        data = message.encode()
        write(f"commit {ref}\nauthor Author {stamp % 97} <author{stamp % 97}@example.org> "
              f"{stamp} +0000\ncommitter Bench <bench@example.org> {stamp} +0000\n"
              f"data {len(data)}\n".encode() + data + b"\n")

    commit("refs/heads/main", START, "Start")
    for number in range(files):
        blob(number, bases[number])
    for step in range(1, commits):
        if step == fork:
            write(b"reset refs/heads/" + BRANCH.encode() + b"\nfrom refs/heads/main\n\n")
            touched = list(range(0, files, max(1, files // branch_files)))[:branch_files]
            per_commit = -(-len(touched) // branch_commits)
            for part in range(branch_commits):
                chunk = touched[part * per_commit:(part + 1) * per_commit]
                if not chunk:
                    break
                commit(f"refs/heads/{BRANCH}", START + 60 * step + part,
                       f"Use compute_faster in {len(chunk)} modules ({part + 1})")
                for number in chunk:
                    blob(number, _changed(bases[number], replaced))
        number = step % files
        values[number] = step
        commit("refs/heads/main", START + 60 * step, f"Tune module {number}")
        blob(number, bases[number])
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")
    git("repack", "-adq", "--write-bitmap-index", cwd=path)
    git("commit-graph", "write", "--reachable", cwd=path)


def cached_repository(args) -> Path:
    """The generated repository, made once per set of sizes."""
    name = (f"review-{args.commits}c-{args.files}f-{args.branch_files}bf-"
            f"{args.branch_lines}bl-{args.branch_commits}bc-{args.behind}b-v1.git")
    path = CACHE / name
    if (path / "commons-bench-complete").exists():
        print(f"repository: cached in {path}")
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = CACHE / f".{name}-making"
    remove(staging)
    started = time.perf_counter()
    generate(staging, args.commits, args.files, args.branch_files, args.branch_lines,
             args.branch_commits, args.behind)
    (staging / "commons-bench-complete").touch()
    remove(path)
    staging.rename(path)
    print(f"repository: made in {time.perf_counter() - started:.0f} s, cached in {path}")
    return path


def describe(path: Path) -> tuple[str, str]:
    """Print what the repository holds; return (main's head, the branch head)."""
    def out(*args: str) -> str:
        return git(*args, cwd=path).stdout.decode().strip()
    main, head = out("rev-parse", "main"), out("rev-parse", BRANCH)
    base = out("merge-base", main, head)
    print(f"  main: {out('rev-list', '--count', 'main')} commits, "
          f"{out('ls-tree', '-r', '--name-only', 'main').count(chr(10)) + 1} files; "
          f"{out('rev-list', '--count', f'{base}..main')} commits after the fork, changing "
          f"{out('diff', '--name-only', base, main).count(chr(10)) + 1} files")
    print(f"  {BRANCH}: {out('rev-list', '--count', f'{base}..{head}')} commits, "
          f"{out('diff', '--shortstat', base, head)}")
    return main, head


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def reset_peaks(master: int) -> None:
    """Start each worker's VmHWM afresh (Linux: clear_refs 5), so the peak
    read after a page belongs to that page."""
    for pid in workers(master):
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def memory(master: int) -> dict[int, tuple[int, int]]:
    """VmRSS and VmHWM (peak) of each gunicorn worker, in kB."""
    found = {}
    for pid in workers(master):
        peak = 0
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1])
        except FileNotFoundError:
            continue
        found[pid] = (rss_kb(pid), peak)
    return found


def cpu_ms(master: int) -> float:
    """CPU time the workers and the git processes they waited for have used,
    in ms: unlike wall time, other jobs on the machine barely change it."""
    total = 0
    for pid in workers(master):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def measure_page(label: str, url: str, requests: int, master: int) -> None:
    reset_peaks(master)
    before = memory(master)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=600) as response:
            size = len(response.read())
    except urllib.error.HTTPError as error:
        note = "not built on this branch yet" if error.code == 404 else "see gunicorn.log"
        print(f"{label:<22} skipped: {url} answered {error.code} ({note})")
        return
    first = (time.perf_counter() - start) * 1000
    for _ in range(2 * len(before)):  # the other workers' first answers, unmeasured
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()
    times = []
    cpu_before = cpu_ms(master)
    for _ in range(requests):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    cpu = (cpu_ms(master) - cpu_before) / requests
    after = memory(master)
    growth = max((after[pid][0] - before[pid][0] for pid in after if pid in before), default=0)
    peak = max((after[pid][1] - before[pid][0] for pid in after if pid in before), default=0)
    # RSS +: what stayed; peak +: the highest the worker went, over its RSS before.
    print(f"{label:<22}{statistics.median(times):>9.1f}{percentile(times, 0.9):>9.1f}"
          f"{first:>9.1f}{cpu:>9.1f}{size / 1024:>9.0f}{growth / 1024:>9.1f}{peak / 1024:>9.1f}")


def timed_ms(run, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure_mergeability(path: Path, target: str, head: str, repeat: int) -> None:
    """Raw merge-tree, then commons' check: its first call (nothing cached),
    *repeat* calls each with the cache emptied first (what a moved branch or
    target costs), and *repeat* calls answered from the cache (what every
    later page asks)."""
    def raw() -> None:
        subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", target, head],
                       cwd=path, env=GIT_ENV, capture_output=True, check=False)
    answer = subprocess.run(["git", "merge-tree", "--write-tree", "--name-only", target, head],
                            cwd=path, env=GIT_ENV, capture_output=True)
    said = "clean" if answer.returncode == 0 else f"conflicts (exit {answer.returncode})"
    check = getattr(merging, "mergeability", None)
    clear = getattr(getattr(merging, "_mergeability", None), "cache_clear", None)
    if check is not None and clear is not None:
        clear()
        start = time.perf_counter()
        found = check(path, target, head)
        first = (time.perf_counter() - start) * 1000

        def uncached() -> None:
            clear()
            check(path, target, head)
        # Taking turns, so a change in the machine's load falls on both alike.
        baseline, fresh = [], []
        for _ in range(repeat):
            baseline += timed_ms(raw, 1)
            fresh += timed_ms(uncached, 1)
    else:
        baseline = timed_ms(raw, repeat)
    base_median = statistics.median(baseline)
    print(f"\n`git merge-tree --write-tree` alone: median {base_median:.1f} ms, p90 "
          f"{percentile(baseline, 0.9):.1f} ms of {repeat} ({said})")
    if check is None:
        print("commons.git.merging.mergeability: skipped, not on this branch yet")
        return
    if clear is None:
        start = time.perf_counter()
        found = check(path, target, head)
        first = (time.perf_counter() - start) * 1000
    print(f"commons.git.merging.mergeability: {found!r}")
    print(f"  first call (uncached): {first:.1f} ms; ratio to merge-tree alone "
          f"{first / base_median:.2f}")
    if clear is None:
        print("  (no cache to empty: every call below computes)")
    else:
        median = statistics.median(fresh)
        print(f"  uncached, cache emptied before each (taking turns with merge-tree): "
              f"median {median:.1f} ms, p90 {percentile(fresh, 0.9):.1f} ms of {repeat}; "
              f"ratio to merge-tree alone "
              f"{median / base_median:.2f} (target: median <= 200 ms)")
        check(path, target, head)
    cached = timed_ms(lambda: check(path, target, head), repeat)
    print(f"  cached (same target and head): median {statistics.median(cached):.3f} ms, p90 "
          f"{percentile(cached, 0.9):.3f} ms of {repeat}")


def set_up_project(env: dict[str, str], source: Path, skip_blame: bool) -> tuple[Path, int]:
    """The project "big" made by the services, its repository then replaced
    by a copy of *source*, as a restored backup would be; a merge proposal
    of the branch opened by the services. Returns (repository, proposal number).

    With *skip_blame* the proposal is opened without finding who wrote the
    lines it changes (its affected parties): on this repository that blame
    takes minutes and is not what is measured."""
    app = create_app({"SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": env["COMMONS_SQLALCHEMY_DATABASE_URI"],
                      "REPOS_DIR": env["COMMONS_REPOS_DIR"]})
    # Imported once the app has loaded every domain: importing governance
    # first runs into its cycle with projects.
    from commons.governance import services as governance
    from commons.governance.settings import Settings as GovernanceSettings
    with app.app_context():
        now = utcnow()
        founder = accounts.register_user(db.session, "bench", "bench@example.org",
                                         "bench password 123", now=now)
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Big", slug=SLUG, license="MIT"), projects.Settings.from_config(app.config), now)
        db.session.commit()
        path = repository_path(app.config["REPOS_DIR"], SLUG)
        remove(path)
        shutil.copytree(source, path)
        if skip_blame:
            merging.authors_of_changed_lines = (  # type: ignore[assignment]
                lambda *_args, **_kwargs: merging.Authorship({}, {}, False))
        started = time.perf_counter()
        proposal = governance.open_proposal(
            db.session, project, founder, "merge", "Use compute_faster", "", {"branch": BRANCH},
            GovernanceSettings.from_config(app.config), now)
        db.session.commit()
        said = ("without the blame of the changed lines (--skip-blame)" if skip_blame else
                f"{len(proposal.affected)} affected parties: git blame of the changed lines")
        print(f"  merge proposal #{proposal.number} opened by the services in "
              f"{time.perf_counter() - started:.1f} s ({said})")
        number = proposal.number
        db.session.remove()
        db.engine.dispose()
    return path, number


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=80_000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--branch-files", type=int, default=500)
    parser.add_argument("--branch-lines", type=int, default=20_000,
                        help="lines the branch changes, added plus removed")
    parser.add_argument("--branch-commits", type=int, default=10)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--behind", type=int, default=2000,
                        help="commits main makes after the branch forks")
    parser.add_argument("--skip-blame", action="store_true",
                        help="open the proposal without finding its affected parties "
                             "(git blame of up to 200 files: about 11 minutes at 80,000 commits)")
    args = parser.parse_args()
    print(f"load average at the start: {_load()} (other jobs on the machine slow every figure)")
    source = cached_repository(args)
    main_head, head = describe(source)
    work = scratch("commons-bench-review-")
    try:
        with commons_server(work, workers=args.workers) as (base, env, master):
            path, number = set_up_project(env, source, args.skip_blame)
            ours = f"{base}/projects/{SLUG}"
            pages = [
                ("Changes view", f"{ours}/proposals/{number}/changes"),
                ("compare page", f"{ours}/compare/main...{BRANCH}"),
                ("proposal page", f"{ours}/proposals/{number}"),
                ("commit page (head)", f"{ours}/commit/{head}"),
                ("commit .patch (head)", f"{ours}/commit/{head}.patch"),
            ]
            print(f"\ngunicorn: {args.workers} workers; ms over {args.requests} requests after "
                  "a few unmeasured ones (the very first is 'first'); memory: largest growth "
                  "of one worker over all these requests, MB")
            print("'CPU': CPU ms per measured request of the workers and their git processes")
            print(f"{'page':<22}{'median':>9}{'p90':>9}{'first':>9}{'CPU':>9}{'KiB':>9}"
                  f"{'RSS +':>9}{'peak +':>9}")
            for label, url in pages:
                measure_page(label, url, args.requests, master)
            print("(targets: Changes view median <= 300 ms, memory growth <= 50 MB)")
            measure_mergeability(path, main_head, head, args.requests)
            print(f"\nload average at the end: {_load()}")
    finally:
        remove(work)


if __name__ == "__main__":
    main()
