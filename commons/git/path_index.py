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
    shas = indexed(session, project_id, start, subpath, limit)
    if shas is not None:
        try:
            return reading.entries(path, shas)
        except reading.NotInRepository:
            pass  # the repository was replaced by an older one since: ask git
    return reading.log(path, start, subpath, limit)


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
    Flushes; the caller commits, so a failure leaves the index as it was."""
    found = catfile.info(path, f"refs/heads/{branch}") if path.is_dir() else None
    tip = found.sha if found is not None and found.kind == "commit" else None
    line = session.scalar(sa.select(PathIndexLine)
                          .where(PathIndexLine.project_id == project_id).with_for_update())
    if line is not None and line.branch == branch and line.tip == tip:
        return 0
    if line is not None and line.branch == branch and tip is not None:
        added = _append(session, line, path, tip)
        if added is not None:
            return added
    if line is not None:
        _forget(session, line)
    if tip is None:
        return 0
    line = PathIndexLine(project_id=project_id, branch=branch, tip=tip, length=0)
    session.add(line)
    session.flush()
    count = int(runner.output(path, "rev-list", "--first-parent", "--count", tip).strip())
    written = _write(session, line, path, [tip], top=count - 1)
    if written != count:
        raise path_rules.Unreadable(f"git listed {written} commits of {count} on {branch}")
    line.length = count
    session.flush()
    return count


def _append(session: Session, line: PathIndexLine, path: Path, tip: str) -> int | None:
    """Index the commits from *tip* down to the line's tip, if the line's
    tip is *tip*'s first-parent ancestor; None when it is not."""
    listed = runner.run(path, "rev-list", "--first-parent", f"--format={path_rules.HEADER_FORMAT}",
                        "--no-commit-header", tip, f"^{line.tip}", ok=None)
    if listed.returncode != 0:
        return None  # the old tip is gone (a restored or rewritten repository)
    headers = [row.split() for row in listed.stdout.decode("ascii", "replace")
               .replace("\x01", "").splitlines() if row.strip()]
    if not headers or len(headers[-1]) < 2 or headers[-1][1] != line.tip:
        return None
    count = len(headers)
    written = _write(session, line, path, [tip, f"^{line.tip}"], top=line.length + count - 1)
    if written != count:
        raise path_rules.Unreadable(f"git listed {written} new commits of {count}")
    line.tip, line.length = tip, line.length + count
    session.flush()
    return count


def _write(session: Session, line: PathIndexLine, path: Path, revisions: list[str],
           top: int) -> int:
    """Index the commits git's first-parent walk of *revisions* lists,
    the first at position *top* and each older one below; the number
    written. What git reports as changed against the first parent is what
    ``git log --first-parent -- <path>`` tests a commit by."""
    process = runner.start(
        path, "-c", "log.showRoot=true", "-c", "log.showSignature=false", "log",
        "--first-parent", "--diff-merges=first-parent", "--no-renames", "--name-only", "-z",
        f"--format={path_rules.HEADER_FORMAT}", *revisions, "--", stderr=True)
    stdout, stderr = process.stdout, process.stderr
    assert stdout is not None and stderr is not None  # pipes
    reader = path_rules.LogReader()
    commits: list[dict] = []
    changes: list[dict] = []
    written = 0

    def take(commit: path_rules.ChangedCommit) -> None:
        nonlocal written
        position = top - written
        written += 1
        commits.append({"line_id": line.id, "position": position, "sha": commit.sha})
        changes.extend({"line_id": line.id, "path": changed, "position": position}
                       for changed in path_rules.with_folders(commit.paths))
        if len(changes) >= _BATCH:
            _flush(session, commits, changes)

    try:
        while data := stdout.read1(64 * 1024):  # type: ignore[attr-defined]
            for commit in reader.feed(data):
                take(commit)
        for commit in reader.end():
            take(commit)
        _flush(session, commits, changes)
    except BaseException:
        process.kill()
        raise
    finally:
        stdout.close()
        complaint = stderr.read().decode("utf-8", "replace").strip()
        stderr.close()
        status = process.wait()
    if status != 0:
        raise runner.GitError(runner.command(path, "log"), status, complaint)
    return written


def _flush(session: Session, commits: list[dict], changes: list[dict]) -> None:
    if commits:
        session.execute(sa.insert(PathIndexCommit), commits)
    if changes:
        session.execute(sa.insert(PathIndexChange), changes)
    commits.clear()
    changes.clear()


def _forget(session: Session, line: PathIndexLine) -> None:
    # Explicit deletes: SQLite enforces no cascade unless asked to.
    for model in (PathIndexChange, PathIndexCommit):
        session.execute(sa.delete(model).where(model.line_id == line.id))
    session.delete(line)
    session.flush()
