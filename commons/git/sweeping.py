"""What a crashed push leaves behind, removed once a grace period has
passed, and git's own upkeep of each repository.

A push killed before git finished leaves its quarantine
(``objects/tmp_objdir-incoming-*``, as large as the pack that was coming);
a push to refs/for/ killed before its proposal was made leaves its
``refs/commons/incoming/`` ref; earlier versions of commons left push-log
files in the temporary folder. The grace period keeps whatever a push that
is still under way is writing: a quarantine counts as old only when nothing
in it changed for that long."""

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from commons.git import runner
from commons.git.transport import INCOMING

log = logging.getLogger(__name__)
QUARANTINE = "tmp_objdir-incoming-"
PUSH_LOGS = "commons-push-"


def file_system_now(folder: Path) -> float:
    """The time the file system stamps a file written now with, in seconds
    since the epoch. Leftovers are aged by that clock, not this host's: on
    shared storage the file server's clock may differ from ours."""
    if not folder.is_dir():
        return time.time()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".commons-clock-") as probe:
        return os.fstat(probe.fileno()).st_mtime


def sweep(repos_dir: Path, grace: int, wall: float) -> int:
    """Remove leftovers older than *grace* seconds at *wall* (seconds since
    the epoch, as file times are); how many were removed."""
    cutoff = wall - grace
    removed = 0
    for path in sorted(repos_dir.glob("*.git")) if repos_dir.is_dir() else []:
        objects = path / "objects"
        for quarantine in sorted(objects.glob(QUARANTINE + "*")) if objects.is_dir() else []:
            if quarantine.is_dir() and _newest(quarantine) < cutoff:
                shutil.rmtree(quarantine, ignore_errors=True)
                removed += 1
        removed += _stale_incoming(path, cutoff)
    for leftover in Path(tempfile.gettempdir()).glob(PUSH_LOGS + "*.log"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
        except OSError:
            pass  # gone meanwhile
    return removed


def _newest(folder: Path) -> float:
    """The latest change to *folder* or anything in it."""
    newest = folder.stat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except OSError:
                pass
    return newest


def _stale_incoming(path: Path, cutoff: float) -> int:
    """Delete refs/commons/incoming/ refs last written before *cutoff*
    (a refs/for/ push that died before its proposal was made)."""
    listed = runner.run(path, "for-each-ref", "--format=%(refname)", INCOMING, ok=None)
    removed = 0
    for ref in listed.stdout.decode("utf-8", "replace").split():
        loose = path / ref
        try:
            written = loose.stat().st_mtime
        except OSError:
            written = (path / "packed-refs").stat().st_mtime  # packed: at least this old
        if written < cutoff:
            runner.run(path, "update-ref", "-d", ref, ok=None)
            removed += 1
    return removed


def maintain(path: Path) -> None:
    """``git maintenance run --auto``: git packs loose objects and refs
    once there are enough to be worth it, and does nothing otherwise; then
    the commit-graph takes in whatever it lacks."""
    try:
        runner.run(path, "maintenance", "run", "--auto", "--quiet", timeout=None)
    except runner.GitError as error:
        log.warning("git maintenance failed in %s: %s", path, error)
    write_commit_graph(path)


# --- Commit-graphs with changed-path Bloom filters ---------------------------
# `git log -- <path>` on a long history tests each commit for a change to
# the path; a commit-graph's Bloom filters answer "not this path" without
# reading the commit's trees (about ten times faster on 80,000 commits).
# Written in split layers, so after a push only the new commits are added.

def _graph_files(path: Path) -> list[Path]:
    info = path / "objects" / "info"
    chain = info / "commit-graphs" / "commit-graph-chain"
    if chain.is_file():
        return [info / "commit-graphs" / f"graph-{line.strip()}.graph"
                for line in chain.read_text().split() if line.strip()]
    single = info / "commit-graph"
    return [single] if single.is_file() else []


def _has_bloom_chunks(graph: Path) -> bool:
    """Whether a commit-graph file holds Bloom filters (its table of
    contents, right after the 8-byte header, names a BDAT chunk)."""
    try:
        with graph.open("rb") as file:
            header = file.read(8)
            if header[:4] != b"CGPH":
                return False
            table = file.read((header[6] + 1) * 12)
    except OSError:
        return False
    return any(table[at:at + 4] == b"BDAT" for at in range(0, len(table), 12))


def has_changed_paths(path: Path) -> bool:
    """Whether the repository has a commit-graph with Bloom filters in
    every layer (none: a new repository, or a backup restored without)."""
    files = _graph_files(path)
    return bool(files) and all(_has_bloom_chunks(graph) for graph in files)


def write_commit_graph(path: Path) -> bool:
    """Add the commits reachable from any ref to the repository's
    commit-graph, with changed-path Bloom filters: a new layer for what is
    new, or all of it anew when a layer lacks the filters. False (logged)
    when git could not (another writer holds the lock: it writes the same)."""
    split = "--split" if has_changed_paths(path) else "--split=replace"
    try:
        runner.run(path, "-c", "commitGraph.readChangedPaths=true", "commit-graph", "write",
                   "--reachable", "--changed-paths", split, "--no-progress", timeout=None)
    except runner.GitError as error:
        log.warning("git commit-graph write failed in %s: %s", path, error)
        return False
    return True
