"""Pushes killed at a random point, then reconciled.

100 pushes (each a new branch with a fresh commit of 0.5-3 MB of random
bytes) go to commons under gunicorn (gthread, 2 workers x 8 threads, as
`make run`) while no job worker runs. Each is killed at a random moment
within its expected duration: half the time the client (`git push` and its
helpers, SIGKILL), half the time the gunicorn worker serving it together
with its git children (SIGKILL, as a crashed host would leave it). Then a
worker starts: its start-up reconciliation, and the jobs enqueued by the
pushes that got that far, record what landed. Printed: how many pushes
moved a ref, how many of those have a push record with commits indexed, how
long the worker took, and the quarantine left before and after the sweep.

    .venv/bin/python bench/killed_pushes.py --pushes 100
"""

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BIN,
    GIT_ENV,
    ROOT,
    commons_server,
    git,
    median,
    remove,
    scratch,
)
from git_transport import commons_project, workers  # noqa: E402

GRACE = 5  # seconds, for the sweep at the end (COMMONS_GIT_QUARANTINE_GRACE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = scratch("commons-bench-killed-")
    queue = f"sqlite:///{work / 'jobs.sqlite3'}"
    settings = {"COMMONS_QUEUE_URL": queue, "COMMONS_GIT_QUARANTINE_GRACE": str(GRACE)}
    try:
        with commons_server(work, workers=2, threads=8, extra_env=settings) as (base, env, master):
            token = commons_project(base, env, "dryer")
            url = f"http://bench:{token}@{base.removeprefix('http://')}/projects/dryer.git"
            clone = work / "clone"
            git("clone", "-q", url, str(clone))
            durations = [push(clone, f"warm-{n}", rng, wait=True)[1] for n in range(5)]
            expected = median(durations)
            print(f"an unkilled push takes {expected:.2f} s (median of 5)")
            kills = {"client": 0, "server": 0, "finished first": 0}
            for number in range(args.pushes):
                process, _ = push(clone, f"b{number}", rng, wait=False)
                time.sleep(rng.uniform(0, expected * 1.2))
                if process.poll() is not None:
                    kills["finished first"] += 1
                    continue
                if rng.random() < 0.5:
                    os.killpg(process.pid, signal.SIGKILL)
                    kills["client"] += 1
                else:
                    for worker in workers(master):
                        for child in _children(worker):
                            _kill(child)
                        _kill(worker)
                    kills["server"] += 1
                process.wait()
            print("killed:", ", ".join(f"{what} {count}" for what, count in kills.items()))
            time.sleep(3)  # gunicorn brings its workers back
            repo = work / "repos" / "dryer.git"
            moved = _branches(repo)
            quarantine = _quarantine(repo)
            print(f"pushes whose ref moved: {len(moved)} of {args.pushes + 5}; "
                  f"quarantine left: {len(quarantine)} folder(s), "
                  f"{sum(size for _, size in quarantine) / 1e6:.1f} MB")
            database = work / "commons.sqlite3"
            print(f"push records before a worker runs: {len(_recorded(database))}")

            started = time.monotonic()
            worker = subprocess.Popen([str(BIN / "flask"), "--app", "commons", "worker"],
                                      env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=open(work / "worker.log", "w"))
            try:
                deadline = time.monotonic() + 600
                while time.monotonic() < deadline:
                    recorded = _recorded(database)
                    if all(recorded.get(ref) == sha for ref, sha in moved.items()):
                        break
                    time.sleep(0.5)
                caught_up = time.monotonic() - started
            finally:
                worker.send_signal(signal.SIGINT)
                worker.wait(30)
            recorded = _recorded(database)
            have = sum(1 for ref, sha in moved.items() if recorded.get(ref) == sha)
            indexed = _indexed(database, set(moved.values()))
            print(f"after reconciliation: {have} of {len(moved)} pushes whose ref moved are "
                  f"recorded ({100 * have / max(len(moved), 1):.0f}%), {indexed} of "
                  f"{len(set(moved.values()))} heads indexed; the worker took {caught_up:.1f} s "
                  "from its start")
            time.sleep(GRACE + 1)
            swept = subprocess.run([str(BIN / "flask"), "--app", "commons", "git", "sweep"],
                                   env=env, cwd=ROOT, capture_output=True, text=True)
            left = [q for q in _quarantine(repo) if q[0] < time.time() - GRACE]
            print(f"sweep (grace {GRACE} s): {swept.stdout.strip()} Quarantine older than the "
                  f"grace left: {len(left)}")
            git("-C", str(repo), "fsck", "--no-progress")
    finally:
        remove(work)


def push(clone: Path, branch: str, rng: random.Random, wait: bool):
    git("checkout", "-q", "-B", branch, "origin/main", cwd=clone)
    (clone / "scan.bin").write_bytes(rng.randbytes(rng.randint(512 * 1024, 3 * 1024 * 1024)))
    git("add", "scan.bin", cwd=clone)
    git("commit", "-q", "-m", f"Scan {branch}", cwd=clone)
    started = time.monotonic()
    process = subprocess.Popen(["git", "push", "-q", "origin", branch], cwd=clone, env=GIT_ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    if wait:
        process.wait()
    return process, time.monotonic() - started


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in found.split()]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _branches(repo: Path) -> dict[str, str]:
    listed = git("-C", str(repo), "for-each-ref", "--format=%(refname) %(objectname)",
                 "refs/heads/").stdout.decode().split("\n")
    return {ref: sha for ref, sha in (line.split(" ") for line in listed if line)
            if ref != "refs/heads/main"}


def _quarantine(repo: Path) -> list[tuple[float, int]]:
    found = []
    for folder in (repo / "objects").glob("tmp_objdir-incoming-*"):
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        found.append((folder.stat().st_mtime, size))
    return found


def _recorded(database: Path) -> dict[str, str]:
    with sqlite3.connect(database, timeout=30) as connection:
        rows = connection.execute("SELECT ref, new_sha FROM pushed_refs JOIN pushes "
                                  "ON pushes.id = pushed_refs.push_id "
                                  "WHERE pushes.indexed_at IS NOT NULL ORDER BY pushed_refs.id")
        return dict(rows.fetchall())


def _indexed(database: Path, shas: set[str]) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        rows = connection.execute("SELECT sha FROM commits").fetchall()
    return len(shas & {sha for (sha,) in rows})


if __name__ == "__main__":
    main()
