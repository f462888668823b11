"""Index each commit of a project once, for the contributor records.

Cost follows what is new: ``git rev-list NEW --not TIPS`` walks only the
commits above the tips already indexed (every ancestor of an indexed tip is
indexed). Callers hold the project's lock (see ``lock_project``) so two
pushes landing at once index each commit exactly once.
"""

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.git.models import Commit, IndexedTip

_FIELD, _RECORD, _VALUES = "\x1f", "\x1e", "\x1d"
_LOG_FORMAT = _RECORD + _FIELD.join([
    "%H", "%an", "%ae", "%at", "%cn", "%ce", "%ct", "%P",
    "%(trailers:key=Co-authored-by,valueonly,separator=%x1d)", "%s",
]) + _FIELD
_IDENTITY = re.compile(r"\s*(.*?)\s*<([^<>]*)>\s*$")


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
    paths: list[str] = field(default_factory=list, repr=False)


def parse_log(lines: Iterable[str]) -> Iterator[CommitInfo]:
    """CommitInfo for each record of ``git log --format=<_LOG_FORMAT>
    --numstat`` output, read line by line (so a long history streams)."""
    current: CommitInfo | None = None
    for line in lines:
        if line.startswith(_RECORD):
            if current is not None:
                yield current
            current = _parse_header(line[1:])
        elif line.strip() and current is not None:
            added, removed, path = line.rstrip("\n").split("\t", 2)
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
    return {"name": match.group(1), "email": match.group(2).strip().lower()}


def _parse_header(text: str) -> CommitInfo:
    parts = text.rstrip("\n").split(_FIELD)
    sha, an, ae, at, cn, ce, ct, parents, trailers, summary = parts[:10]
    co_authors = [identity for value in trailers.split(_VALUES) if value.strip()
                  if (identity := parse_identity(value)) is not None]
    return CommitInfo(
        sha=sha, author_name=an[:255], author_email=ae.lower()[:255],
        authored_at=datetime.fromtimestamp(int(at), timezone.utc),
        committer_name=cn[:255], committer_email=ce.lower()[:255],
        committed_at=datetime.fromtimestamp(int(ct), timezone.utc),
        parent_count=len(parents.split()), co_authors=co_authors, summary=summary[:255],
    )


def _git(path: Path, *args: str, stdin: str = "") -> str:
    result = subprocess.run(["git", "-C", str(path), *args], input=stdin, capture_output=True,
                            text=True, encoding="utf-8", errors="replace", check=True)
    return result.stdout


def unindexed_commits(path: Path, heads: list[str], tips: Iterable[str]) -> list[str]:
    """Commits reachable from *heads* and from no indexed tip, newest first."""
    if not heads:
        return []
    revisions = "\n".join([*heads, *(f"^{tip}" for tip in tips)]) + "\n"
    return _git(path, "rev-list", "--ignore-missing", "--stdin", stdin=revisions).split()


def read_commits(path: Path, shas: list[str]) -> list[CommitInfo]:
    """What the index keeps of each commit in *shas*."""
    if not shas:
        return []
    output = _git(path, "-c", "core.quotePath=false", "log", "--no-walk=unsorted", "--stdin",
                  "--no-renames", "--numstat", f"--format={_LOG_FORMAT}",
                  stdin="\n".join(shas) + "\n")
    # Not splitlines(): it also breaks on the \x1c-\x1e separators used above.
    return list(parse_log(output.split("\n")))


def current_ref_targets(path: Path) -> set[str]:
    return set(_git(path, "for-each-ref", "--format=%(objectname)").split())


def index_commits(session: Session, project_id: int, path: Path, heads: list[str]) -> list[str]:
    """Index the commits reachable from *heads* that are not indexed yet;
    return every commit that was new above the indexed tips.

    The caller holds the project's lock for the transaction."""
    tips = set(session.scalars(sa.select(IndexedTip.sha).where(IndexedTip.project_id == project_id)))
    new = unindexed_commits(path, heads, tips)
    known: set[str] = set()
    for start in range(0, len(new), 500):
        chunk = new[start:start + 500]
        known.update(session.scalars(sa.select(Commit.sha).where(
            Commit.project_id == project_id, Commit.sha.in_(chunk))))
    infos = read_commits(path, [sha for sha in new if sha not in known])
    if infos:
        session.execute(sa.insert(Commit), [
            {"project_id": project_id, "sha": i.sha, "author_name": i.author_name,
             "author_email": i.author_email, "authored_at": i.authored_at,
             "committer_name": i.committer_name, "committer_email": i.committer_email,
             "committed_at": i.committed_at, "summary": i.summary,
             "parent_count": i.parent_count, "co_authors": i.co_authors,
             "files_changed": i.files_changed, "lines_added": i.lines_added,
             "lines_removed": i.lines_removed}
            for i in infos
        ])
    # The boundary moves up: keep the tips that refs still point at.
    keep = (tips | set(heads)) & current_ref_targets(path)
    if tips - keep:
        session.execute(sa.delete(IndexedTip).where(
            IndexedTip.project_id == project_id, IndexedTip.sha.in_(tips - keep)))
    if keep - tips:
        session.execute(sa.insert(IndexedTip),
                        [{"project_id": project_id, "sha": sha} for sha in sorted(keep - tips)])
    session.flush()
    return new
