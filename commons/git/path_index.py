"""A path's history from an index of the default branch's first-parent
line: which commits changed which paths (files and their folders), kept in
the database beside the push records.

Without it, the first page of a file's history is ``git log --first-parent
-- <path>``, which cannot know the page is complete before it has walked
the whole history when the file changed fewer than a page's times (most
files: 90 to 140 ms on 80,000 commits, even with the commit-graph's Bloom
filters). With it, any page of a path from a commit on the indexed line is
one statement. The reconciler keeps it: built once (``git log
--name-status`` over the line), then appended to with each push's new
commits; a rewritten line is indexed anew. A start the index does not hold
(another branch, or a push the reconciler has not reached yet) is walked
by git as before."""

import functools
import itertools
import logging
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.git import catfile, path_rules, reading, runner
from commons.git.models import PathIndexChange, PathIndexCommit, PathIndexLine
from commons.git.reading import LogEntry

log = logging.getLogger(__name__)

# Path rows per transaction while a long history is indexed.
_BATCH = 10_000


class Moved(RuntimeError):
    """Another job changed the line while this one was writing it."""


def log_page(session: Session, project_id: int, path: Path, start: str, subpath: str,
             limit: int) -> list[LogEntry]:
    """Up to *limit* commits of *subpath*'s first-parent history from
    *start*, as ``reading.log`` gives them: from the index when it holds
    *start*, from git otherwise."""
    shas = indexed(session, project_id, start, subpath, limit)
    if shas is not None:
        try:
            return list(_entries(path, tuple(shas)))
        except reading.NotInRepository:
            pass  # the repository was replaced by an older one since: ask git
    return reading.log(path, start, subpath, limit)


# A commit's entry never changes: a page's are kept per worker, so a
# repeat view is the look-up alone.
@functools.lru_cache(maxsize=512)
def _entries(path: Path, shas: tuple[str, ...]) -> tuple[LogEntry, ...]:
    return tuple(reading.entries(path, list(shas)))


def indexed(session: Session, project_id: int, start: str, subpath: str,
            limit: int) -> list[str] | None:
    """The ids of the last *limit* commits up to *start* on the indexed line
    that changed *subpath* (newest first), or None when *start* is not a
    commit of that line or *subpath* is one git answers for.

    One statement, so it reads one state of the index even while a job
    rebuilds it: the start's own row (marking that it is held), and the
    page, read backwards along the (line, path, position) key."""
    if not subpath or not reading.is_commit_id(start) or not path_rules.indexable(subpath):
        return None
    line = sa.select(PathIndexLine.id).where(PathIndexLine.project_id == project_id) \
        .scalar_subquery()
    begin = sa.select(PathIndexCommit.position).where(
        PathIndexCommit.line_id == line, PathIndexCommit.sha == start).scalar_subquery()
    held = sa.select(PathIndexCommit.position, sa.literal(0).label("kind"), PathIndexCommit.sha) \
        .where(PathIndexCommit.line_id == line, PathIndexCommit.sha == start)
    page = sa.select(PathIndexChange.position, sa.literal(1).label("kind"), PathIndexCommit.sha) \
        .join(PathIndexCommit, sa.and_(PathIndexCommit.line_id == PathIndexChange.line_id,
                                       PathIndexCommit.position == PathIndexChange.position)) \
        .where(PathIndexChange.line_id == line, PathIndexChange.path == subpath,
               PathIndexChange.position <= begin) \
        .order_by(PathIndexChange.position.desc()).limit(limit).subquery()
    both = sa.union_all(held, sa.select(page)).subquery()
    rows = session.execute(sa.select(both.c.kind, both.c.sha)
                           .order_by(both.c.position.desc(), both.c.kind)).all()
    if not rows or rows[0].kind != 0:
        return None
    return [row.sha for row in rows[1:]]


def update(session: Session, project_id: int, path: Path, branch: str) -> int:
    """Bring project *project_id*'s index up to *branch*'s tip: nothing when
    it is there, the new commits when the branch moved forward along its
    first parents, the whole line anew otherwise (a rewritten or another
    branch, a restored repository). Returns how many commits were indexed.

    Commits oldest first, in batches committed as they are written, each
    only if the line is still as this job left it: the index is at every
    moment the line up to some commit, which look-ups may use (on SQLite,
    the one writer's lock is never held for a whole history), and a build
    cut short goes on from there next time. A failed batch is rolled back:
    GitError, Unreadable or Moved then."""
    found = catfile.info(path, f"refs/heads/{branch}") if path.is_dir() else None
    tip = found.sha if found is not None and found.kind == "commit" else None
    line = session.scalar(sa.select(PathIndexLine).where(PathIndexLine.project_id == project_id))
    if line is not None and line.branch == branch and line.tip == tip:
        session.commit()
        return 0
    # Asked of git before anything is written, so no lock is held meanwhile.
    new = _line(path, tip, line.tip) if line is not None and line.branch == branch \
        and tip is not None else None
    if new is None and tip is not None:
        new = _line(path, tip, None)
        if new is None:
            raise path_rules.Unreadable(f"{branch}'s first parents do not lead to a root")
        if line is not None:
            _forget(session, line)
            line = None
    elif new is None and line is not None:
        _forget(session, line)  # no such branch any more
    if tip is None or new is None:
        session.commit()
        return 0
    if line is None:
        line = PathIndexLine(project_id=project_id, branch=branch, tip=None, length=0)
        session.add(line)
        session.flush()
    try:
        return _write(session, line.id, line.tip, line.length, path, new)
    except BaseException:
        session.rollback()
        raise


def forget(session: Session, project_id: int) -> None:
    """Drop project *project_id*'s index (the reconciler builds it again)."""
    line = session.scalar(sa.select(PathIndexLine).where(PathIndexLine.project_id == project_id))
    if line is not None:
        _forget(session, line)


def _line(path: Path, tip: str, indexed_tip: str | None) -> list[str] | None:
    """The commits from *indexed_tip* (exclusive; None: from the root) to
    *tip* along first parents, oldest first; None when *indexed_tip* is not
    on *tip*'s first-parent line (rewritten, moved back, or gone)."""
    if indexed_tip is not None and not reading.has_commit(path, indexed_tip):
        return None
    revisions = [tip, f"^{indexed_tip}"] if indexed_tip else [tip]
    listed = runner.output(path, "rev-list", "--first-parent", "--parents", *revisions)
    rows = [row.split() for row in listed.splitlines() if row.strip()]
    for newer, older in itertools.pairwise(rows):
        if len(newer) < 2 or newer[1] != older[0]:
            return None  # not a first-parent chain: cannot happen, but never index it
    oldest_parent = rows[-1][1] if rows and len(rows[-1]) > 1 else None
    if not rows or oldest_parent != indexed_tip:
        return None
    return [row[0] for row in reversed(rows)]


def _write(session: Session, line_id: int, line_tip: str | None, line_length: int, path: Path,
           expected: list[str]) -> int:
    """Index the commits *expected* (oldest first, following the line's
    tip), committing each batch with the line's new tip and length. git's
    listing must be exactly those commits; what it reports as changed
    against the first parent is what ``git log --first-parent -- <path>``
    tests a commit by."""
    revisions = [expected[-1], f"^{line_tip}"] if line_tip else [expected[-1]]
    process = runner.start(
        path, "-c", "log.showRoot=true", "-c", "log.showSignature=false", "-c", "log.follow=false",
        "log", "--reverse", "--first-parent", "--diff-merges=first-parent", "--no-renames",
        "--ignore-submodules=none", "--name-status", "-z",
        f"--format={path_rules.HEADER_FORMAT}", *revisions, "--")
    stdout = process.stdout
    assert stdout is not None  # a pipe
    reader = path_rules.LogReader()
    saved_tip, saved_length = line_tip, line_length
    commits: list[dict] = []
    changes: list[dict] = []

    def save() -> None:
        """The rows taken so far, if the line is as this job last left it."""
        nonlocal saved_tip, saved_length
        if not commits:
            return
        moved = cast(sa.CursorResult, session.execute(
            sa.update(PathIndexLine)
            .where(PathIndexLine.id == line_id, PathIndexLine.length == saved_length,
                   PathIndexLine.tip.is_(None) if saved_tip is None
                   else PathIndexLine.tip == saved_tip)
            .values(tip=commits[-1]["sha"], length=saved_length + len(commits))))
        if moved.rowcount != 1:
            session.rollback()
            raise Moved("the line was changed by another job while this one wrote it")
        session.execute(sa.insert(PathIndexCommit), commits)
        if changes:
            session.execute(sa.insert(PathIndexChange), changes)
        session.commit()
        saved_tip, saved_length = commits[-1]["sha"], saved_length + len(commits)
        commits.clear()
        changes.clear()

    taken = 0

    def take(commit: path_rules.ChangedCommit) -> None:
        nonlocal taken
        if taken >= len(expected) or commit.sha != expected[taken]:
            raise path_rules.Unreadable(f"git listed {commit.sha}, not the commit expected")
        position = line_length + taken
        # A batch is saved only once the next commit is known to be the
        # expected one, so nothing git listed unexpectedly is ever kept.
        if len(changes) >= _BATCH:
            save()
        commits.append({"line_id": line_id, "position": position, "sha": commit.sha})
        changes.extend({"line_id": line_id, "path": changed, "position": position}
                       for changed in path_rules.with_folders(commit.paths)
                       if path_rules.indexable(changed))
        taken += 1

    try:
        for data in runner.chunks(process):
            for commit in reader.feed(data):
                take(commit)
        for commit in reader.end():
            take(commit)
        status = process.wait()
        if status != 0:
            raise runner.GitError(runner.command(path, "log"), status,
                                  f"git log stopped with status {status}")
        if taken != len(expected):
            raise path_rules.Unreadable(f"git listed {taken} of {len(expected)} commits")
        save()
    finally:
        process.kill()
        stdout.close()
        process.wait()
    return taken


def _forget(session: Session, line: PathIndexLine) -> None:
    # Explicit deletes: SQLite enforces no cascade unless asked to.
    for model in (PathIndexChange, PathIndexCommit):
        session.execute(sa.delete(model).where(model.line_id == line.id))
    session.delete(line)
    session.flush()
