"""A path's history from an index of the default branch's first-parent
line: which commits changed which paths (files and their folders), kept in
the database beside the push records.

Without it, the first page of a file's history is ``git log --first-parent
-- <path>``, which cannot know the page is complete before it has walked
the whole history when the file changed fewer than a page's times (most
files: 120 to 140 ms on 80,000 commits, even with the commit-graph's Bloom
filters). With it, any page of a path from a commit on the indexed line is
one look-up. The reconciler keeps it: built once (``git log --name-only``
over the line), then appended to with each push's new commits; a rewritten
line is indexed anew. A start the index does not hold (another branch, or
a push the reconciler has not reached yet) is walked by git as before."""

import functools
import logging
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.git import catfile, path_rules, reading, runner
from commons.git.models import PathIndexChange, PathIndexCommit, PathIndexLine
from commons.git.reading import LogEntry

log = logging.getLogger(__name__)

# Rows written per INSERT while a long history is indexed.
_BATCH = 10_000


def log_page(session: Session, project_id: int, path: Path, start: str, subpath: str,
             limit: int) -> list[LogEntry]:
    """Up to *limit* commits of *subpath*'s first-parent history from
    *start*, as ``reading.log`` gives them: from the index when it holds
    *start*, from git otherwise."""
    if not subpath or not reading.is_commit_id(start):
        return reading.log(path, start, subpath, limit)
    return list(_page(session, project_id, path, start, subpath, limit))


# From a commit id the page never changes, whether the index or git gave
# it: kept, as reading.log keeps git's, so a repeat view asks nothing.
@functools.lru_cache(maxsize=512)
def _page(session: Session, project_id: int, path: Path, start: str, subpath: str,
          limit: int) -> tuple[LogEntry, ...]:
    shas = indexed(session, project_id, start, subpath, limit)
    if shas is not None:
        try:
            return tuple(reading.entries(path, shas))
        except reading.NotInRepository:
            pass  # the repository was replaced by an older one since: ask git
    return tuple(reading.log(path, start, subpath, limit))


def indexed(session: Session, project_id: int, start: str, subpath: str,
            limit: int) -> list[str] | None:
    """The ids of the last *limit* commits up to *start* on the indexed line
    that changed *subpath* (newest first), or None when *start* is not a
    commit of that line."""
    if not subpath or not reading.is_commit_id(start):
        return None
    line = sa.select(PathIndexLine.id).where(PathIndexLine.project_id == project_id) \
        .scalar_subquery()
    found = session.execute(
        sa.select(PathIndexCommit.line_id, PathIndexCommit.position)
        .where(PathIndexCommit.line_id == line, PathIndexCommit.sha == start)).first()
    if found is None:
        return None
    line_id, position = found
    return list(session.scalars(
        sa.select(PathIndexCommit.sha)
        .join(PathIndexChange, sa.and_(PathIndexChange.line_id == PathIndexCommit.line_id,
                                       PathIndexChange.position == PathIndexCommit.position))
        .where(PathIndexChange.line_id == line_id, PathIndexChange.path == subpath,
               PathIndexChange.position <= position)
        .order_by(PathIndexChange.position.desc())
        .limit(limit)))


def update(session: Session, project_id: int, path: Path, branch: str) -> int:
    """Bring project *project_id*'s index up to *branch*'s tip: nothing when
    it is there, the new commits when the branch moved forward along its
    first parents, the whole line anew otherwise (a rewritten or another
    branch, a restored repository). Returns how many commits were indexed.

    Commits oldest first, in batches committed as they are written: the
    index is at every moment the line up to some commit, which page look-ups
    may use (on SQLite, the one writer's lock is never held for a whole
    history), and a build cut short by a failure or a stop goes on from
    there next time. A failed batch is rolled back; GitError or Unreadable
    then."""
    found = catfile.info(path, f"refs/heads/{branch}") if path.is_dir() else None
    tip = found.sha if found is not None and found.kind == "commit" else None
    line = session.scalar(sa.select(PathIndexLine)
                          .where(PathIndexLine.project_id == project_id).with_for_update())
    if line is not None and line.branch == branch and line.tip == tip:
        session.commit()
        return 0
    new = _new_commits(path, tip, line.tip) if line is not None and line.branch == branch \
        and tip is not None else None
    if new is None and line is not None:
        _forget(session, line)  # rewritten, or another branch: anew
        line = None
    if tip is None:
        session.commit()
        return 0
    if line is None:
        line = PathIndexLine(project_id=project_id, branch=branch, tip=None, length=0)
        session.add(line)
        session.flush()
    if new is None:
        new = _new_commits(path, tip, None)
        if new is None:
            raise path_rules.Unreadable(f"{branch}'s first-parent line does not end in a root")
    try:
        written = _write(session, line, path, tip, new)
    except BaseException:
        session.rollback()
        raise
    return written


def _new_commits(path: Path, tip: str, indexed_tip: str | None) -> int | None:
    """How many commits lead from *indexed_tip* (None: from nothing) to
    *tip* along first parents; None when *indexed_tip* is not on *tip*'s
    first-parent line, or is no longer in the repository."""
    revisions = [tip, f"^{indexed_tip}"] if indexed_tip else [tip]
    listed = runner.run(path, "rev-list", "--first-parent", f"--format={path_rules.HEADER_FORMAT}",
                        "--no-commit-header", *revisions, ok=None)
    if listed.returncode != 0:
        return None
    rows = [row.lstrip("\x01").split() for row in
            listed.stdout.decode("ascii", "replace").splitlines() if row.strip()]
    oldest_parent = rows[-1][1] if rows and len(rows[-1]) > 1 else None
    if not rows or oldest_parent != indexed_tip:
        return None
    return len(rows)


def _write(session: Session, line: PathIndexLine, path: Path, tip: str, count: int) -> int:
    """Index the *count* commits from the line's tip (exclusive) to *tip*,
    oldest first, committing each batch with the line's new tip and length.
    What git reports as changed against the first parent is what
    ``git log --first-parent -- <path>`` tests a commit by."""
    revisions = [tip, f"^{line.tip}"] if line.tip else [tip]
    process = runner.start(
        path, "-c", "log.showRoot=true", "-c", "log.showSignature=false", "log", "--reverse",
        "--first-parent", "--diff-merges=first-parent", "--no-renames", "--name-only", "-z",
        f"--format={path_rules.HEADER_FORMAT}", *revisions, "--", stderr=True)
    stdout, stderr = process.stdout, process.stderr
    assert stdout is not None and stderr is not None  # pipes
    reader = path_rules.LogReader()
    line_id, position = line.id, line.length
    commits: list[dict] = []
    changes: list[dict] = []
    written = 0

    def save() -> None:
        if not commits:
            return
        session.execute(sa.insert(PathIndexCommit), commits)
        if changes:
            session.execute(sa.insert(PathIndexChange), changes)
        session.execute(sa.update(PathIndexLine).where(PathIndexLine.id == line_id)
                        .values(tip=commits[-1]["sha"], length=commits[-1]["position"] + 1))
        session.commit()
        commits.clear()
        changes.clear()

    def take(commit: path_rules.ChangedCommit) -> None:
        nonlocal position, written
        if written == count:
            raise path_rules.Unreadable(f"git listed more than the {count} commits expected")
        commits.append({"line_id": line_id, "position": position, "sha": commit.sha})
        changes.extend({"line_id": line_id, "path": changed, "position": position}
                       for changed in path_rules.with_folders(commit.paths))
        position += 1
        written += 1
        if len(changes) >= _BATCH:
            save()

    try:
        while data := stdout.read1(64 * 1024):  # type: ignore[attr-defined]
            for commit in reader.feed(data):
                take(commit)
        for commit in reader.end():
            take(commit)
        status = process.wait()
        if status != 0:
            raise runner.GitError(runner.command(path, "log"), status,
                                  stderr.read().decode("utf-8", "replace").strip())
        if written != count:
            raise path_rules.Unreadable(f"git listed {written} of the {count} commits expected")
        save()
    finally:
        process.kill()
        stdout.close()
        stderr.close()
        process.wait()
    return written


def _forget(session: Session, line: PathIndexLine) -> None:
    # Explicit deletes: SQLite enforces no cascade unless asked to.
    for model in (PathIndexChange, PathIndexCommit):
        session.execute(sa.delete(model).where(model.line_id == line.id))
    session.delete(line)
    session.flush()
