"""Index each commit of a project once, for the contributor records.

Cost follows what is new: ``git rev-list NEW ^TIPS`` walks only the commits
above the indexed tips (every ancestor of an indexed tip is indexed). The
tips are kept as ``git merge-base --independent`` of all that was indexed,
so records that run in any order, force-pushes and deleted branches never
make old commits look new. Callers hold the project's lock (see
``commons.git.pushes.lock_project``).
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.git import runner
from commons.git.models import Commit, IndexedTip
from commons.signals import commits_indexed

# NUL cannot occur in the header fields git prints here (names, emails,
# dates, the one-line subject, unfolded trailers), so it separates them.
_START = "\x00commit\x00"
_LOG_FORMAT = "%x00commit%x00" + "%x00".join([
    "%H", "%an", "%ae", "%at", "%cn", "%ce", "%ct", "%P",
    "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x1d)", "%s",
]) + "%x00"
_IDENTITY = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*$")
_BATCH = 1000
# Dates git accepts but no database column does (year 10000 and later).
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committer_email: str
    committed_at: datetime
    parent_count: int
    co_authors: list[dict[str, str]]
    summary: str
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0

    def row(self, project_id: int) -> dict:
        return {"project_id": project_id, **self.__dict__}


def parse_log(lines: Iterable[str]) -> Iterator[CommitInfo]:
    """CommitInfo for each record of ``git log --format=<_LOG_FORMAT>
    --numstat`` output, read line by line (so a long history streams)."""
    current: CommitInfo | None = None
    for line in lines:
        if line.startswith(_START):
            if current is not None:
                yield current
            current = _parse_header(line[len(_START):])
        elif current is not None and line.count("\t") >= 2:
            added, removed, _path = line.rstrip("\n").split("\t", 2)
            current.files_changed += 1
            # Binary files count as changed, with no lines ("-\t-\tpath").
            current.lines_added += int(added) if added.isdigit() else 0
            current.lines_removed += int(removed) if removed.isdigit() else 0
    if current is not None:
        yield current


def parse_identity(text: str) -> dict[str, str] | None:
    """{"name", "email"} from "Name <email>", or None."""
    match = _IDENTITY.match(text)
    if not match or "@" not in match.group(2):
        return None
    return {"name": match.group(1)[:255], "email": match.group(2).strip().lower()[:255]}


def _parse_header(text: str) -> CommitInfo:
    sha, an, ae, at, cn, ce, ct, parents, trailers, summary, *_ = text.split("\x00") + [""] * 10
    co_authors = [identity for value in trailers.split("\x1d") if value.strip()
                  if (identity := parse_identity(value)) is not None]
    return CommitInfo(
        sha=sha, author_name=an[:255], author_email=ae.lower()[:255],
        authored_at=_timestamp(at), committer_name=cn[:255],
        committer_email=ce.lower()[:255], committed_at=_timestamp(ct),
        parent_count=len(parents.split()), co_authors=co_authors, summary=summary[:255],
    )


def _timestamp(text: str) -> datetime:
    try:
        return min(datetime.fromtimestamp(int(text), UTC), _LATEST)
    except (ValueError, OverflowError, OSError):
        return _LATEST if text.strip().isdigit() else datetime.fromtimestamp(0, UTC)


def unindexed_commits(path: Path, heads: list[str], tips: Iterable[str]) -> list[str]:
    """Commits reachable from *heads* and from no indexed tip, newest first."""
    if not heads:
        return []
    revisions = "\n".join([*heads, *(f"^{tip}" for tip in tips)]) + "\n"
    return runner.output(path, "rev-list", "--ignore-missing", "--stdin", input=revisions).split()


def read_commits(path: Path, shas: list[str]) -> Iterator[CommitInfo]:
    """What the index keeps of each commit in *shas*, streamed from git."""
    if not shas:
        return
    process = runner.start(path, "-c", "core.quotePath=false", "log", "--no-walk=unsorted",
                           "--stdin", "--no-renames", "--numstat", f"--format={_LOG_FORMAT}",
                           stdin=True, text=True)
    # A feeder thread is not needed: git reads all of stdin before it writes.
    process.stdin.write("\n".join(shas) + "\n")
    process.stdin.close()
    try:
        yield from parse_log(process.stdout)
    finally:
        process.stdout.close()
        if process.wait() != 0:
            raise runner.GitError(process.args, process.returncode, "")


def index_commits(session: Session, project_id: int, path: Path, heads: list[str],
                  progress: Callable[[int], None] | None = None) -> list[str]:
    """Index the commits reachable from *heads* that are not indexed yet;
    return every commit that was new above the indexed tips. *progress*
    hears how many commits each written batch held.

    The caller holds the project's lock for the transaction."""
    tips = set(session.scalars(sa.select(IndexedTip.sha).where(IndexedTip.project_id == project_id)))
    new = unindexed_commits(path, heads, tips)
    known: set[str] = set()
    for start in range(0, len(new), 500):
        chunk = new[start:start + 500]
        known.update(session.scalars(sa.select(Commit.sha).where(
            Commit.project_id == project_id, Commit.sha.in_(chunk))))
    if progress is not None and known:
        progress(len(known))
    batch: list[CommitInfo] = []
    for info in read_commits(path, [sha for sha in new if sha not in known]):
        batch.append(info)
        if len(batch) >= _BATCH:
            _write(session, project_id, batch, progress)
            batch = []
    if batch:
        _write(session, project_id, batch, progress)
    keep = _independent(path, tips | set(heads))
    if tips - keep:
        session.execute(sa.delete(IndexedTip).where(
            IndexedTip.project_id == project_id, IndexedTip.sha.in_(tips - keep)))
    if keep - tips:
        session.execute(sa.insert(IndexedTip),
                        [{"project_id": project_id, "sha": sha} for sha in sorted(keep - tips)])
    session.flush()
    return new


def _write(session: Session, project_id: int, batch: list[CommitInfo],
           progress: Callable[[int], None] | None) -> None:
    session.execute(sa.insert(Commit), [info.row(project_id) for info in batch])
    commits_indexed.send(session, project_id=project_id, commits=batch)
    if progress is not None:
        progress(len(batch))


def _independent(path: Path, commits: set[str]) -> set[str]:
    """The commits of *commits* that no other one of them contains; those
    whose objects are gone (pruned) are dropped."""
    if not commits:
        return set()
    present = runner.output(path, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                            input="\n".join(sorted(commits)) + "\n")
    existing = [line.split()[0] for line in present.splitlines()
                if line.endswith((" commit", " tag"))]
    if len(existing) <= 1:
        return set(existing)
    return set(runner.output(path, "merge-base", "--independent", *existing).split())
