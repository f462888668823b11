"""Line comments on merge proposals: commenting on a line of the diff,
objections that cite lines, and marking comments outdated when a push
revises the proposal. The rules are in ``line_rules``; this module asks git
and writes rows (it flushes, never commits).

The diff a comment sits in is the proposal's change: from the merge base of
the default branch and the pinned head, to the pinned head."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.git import merging, reading, runner
from commons.git.repositories import repository_path
from commons.governance import line_rules, rules
from commons.governance.line_rules import NEW, OLD, Hunk
from commons.governance.models import Comment, Proposal, Stance, TimelineEvent
from commons.governance.settings import Settings
from commons.problems import Conflict, Invalid
from commons.projects.models import Project

# git's id of the empty tree: the base of a branch that shares no history
# with the default branch.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# How much of one file's diff is read to find its hunks (git is stopped there).
MAX_DIFF_BYTES = 8 * 1024 * 1024
# How many file diffs one revision asks git for when it checks comments;
# comments past that are marked outdated unchecked (say so, rather than
# keep a push waiting).
MAX_DIFFS_PER_REVISION = 200


@dataclass(frozen=True)
class Place:
    """A line of the diff someone points at."""

    path: str
    side: str
    line: int


def file_hunks(repo: Path, old: str, new: str, path: str, context: int = 3) -> list[Hunk]:
    """The hunks of *path*'s diff from *old* to *new* (no rename detection,
    so a renamed file is a deletion here). At most MAX_DIFF_BYTES of git's
    output are read; only its ``@@`` lines are kept. GitError when git
    cannot answer (a commit that is gone)."""
    args = ("--literal-pathspecs", "diff", f"-U{context}", "--no-color", "--no-ext-diff",
            "--no-renames", old, new, "--", path)
    process = runner.start(repo, *args)
    stdout = process.stdout
    assert stdout is not None  # runner.start always pipes stdout
    headers: list[str] = []
    total, line_start, finished = 0, True, False
    try:
        while total < MAX_DIFF_BYTES:
            piece = stdout.readline(64 * 1024)
            if not piece:
                finished = True
                break
            total += len(piece)
            if line_start and piece.startswith(b"@@ "):
                headers.append(piece.decode("ascii", "replace"))
            line_start = piece.endswith(b"\n")
    finally:
        if not finished:
            process.kill()
        stdout.close()
        status = process.wait()
    if finished and status != 0:
        raise runner.GitError(runner.command(repo, *args), status, "git diff failed")
    return line_rules.parse_hunk_headers(headers)


def diff_base(repo: Path, project: Project, proposal: Proposal) -> str:
    """Where the proposal's diff starts: the merge base of its pinned head
    with the branch it merges into (the default branch unless its details
    name a "target"), or the empty tree for a history of its own."""
    head = str(proposal.details["head"])
    target_branch = str(proposal.details.get("target") or project.default_branch)
    target = merging.branch_head(repo, target_branch)
    return (merging.merge_base(repo, target, head) if target else None) or EMPTY_TREE


def check_place(path: str, side: str, line: int) -> Place:
    try:
        return Place(line_rules.check_place(path, side, line), side, line)
    except line_rules.LineError as error:
        raise Invalid(str(error), field="line") from None


def check_body(body: str, max_chars: int, label: str = "Comment") -> str:
    try:
        return line_rules.check_body(body, max_chars, label)
    except line_rules.LineError as error:
        raise Invalid(str(error), field="body") from None


def check_proposal(proposal: Proposal) -> str:
    """The pinned head of a merge proposal still open to line comments."""
    if proposal.kind != "merge":
        raise Invalid("Line comments are on merge proposals; comment on the proposal instead.",
                      field="path")
    if proposal.status not in (rules.OPEN, rules.BLOCKED):
        raise Conflict(f"Proposal #{proposal.number} is {proposal.status}; line comments are "
                       "taken while it is open or blocked. Comment on the proposal instead.")
    return str(proposal.details["head"])


def check_in_diff(repo: Path, base: str, head: str, place: Place) -> None:
    if not line_rules.in_diff(file_hunks(repo, base, head, place.path), place.side, place.line):
        which = "proposed head" if place.side == NEW else "base"
        raise Invalid(f"Line {place.line} of {place.path} ({which}) is not part of this "
                      "proposal's changes. Comment on a line the Changes view shows, or "
                      "comment on the proposal.", field="line")


def record(proposal: Proposal, user: User, place: Place, body: str, head: str, base: str,
            now: datetime, stance: Stance | None = None) -> Comment:
    comment = Comment(user=user, body=body, created_at=now, path=place.path, side=place.side,
                      line=place.line, head=head, base=base, outdated=False, stance=stance)
    proposal.comments.append(comment)
    which = "" if place.side == NEW else " of the base"
    what = "cited" if stance is not None else "commented on"
    proposal.events.append(TimelineEvent(
        at=now, actor_id=user.id, comment=comment,
        text=f"{user.username} {what} {place.path} line {place.line}{which}"
             + (" for their objection." if stance is not None else ".")))
    return comment


def add_line_comment(session: Session, project: Project, proposal: Proposal, user: User,
                     path: str, side: str, line: int, head: str, body: str, now: datetime,
                     settings: Settings,
                     max_chars: int = line_rules.DEFAULT_MAX_CHARS) -> Comment:
    """A comment on one line of a merge proposal's diff, written on *head*
    (which must be the pinned head: a comment is about what the commenter
    saw). Anyone logged in may comment, as on the proposal itself."""
    place = check_place(path, side, line)
    pinned = check_proposal(proposal)
    if head != pinned:
        raise Invalid(f"The proposal was revised (it pins {pinned[:10]} now); reload the "
                      "changes and comment on the current head.", field="head")
    body = check_body(body, max_chars)
    repo = repository_path(settings.repos_dir, project.slug)
    base = diff_base(repo, project, proposal)
    check_in_diff(repo, base, pinned, place)
    comment = record(proposal, user, place, body, pinned, base, now)
    session.flush()
    signals.comment_added.send(project, session=session, proposal=proposal, comment=comment,
                               now=now)
    return comment


def mark_outdated(session: Session, project: Project, proposal: Proposal, now: datetime,
                  settings: Settings) -> list[Comment]:
    """After a revision pinned a new head: mark the line comments the
    revision outdated, and move the others to their line in the new diff
    (the rule is in ``line_rules``). Returns the ones marked."""
    current = [c for c in proposal.comments if c.path is not None and not c.outdated]
    new_head = str(proposal.details.get("head") or "")
    if not current or not new_head:
        return []
    repo = repository_path(settings.repos_dir, project.slug)
    diffs: dict[tuple[str, str, str, int], list[Hunk] | None] = {}

    def hunks(old: str, new: str, path: str, context: int) -> list[Hunk] | None:
        key = (old, new, path, context)
        if key not in diffs:
            if len(diffs) >= MAX_DIFFS_PER_REVISION:
                return None
            try:
                diffs[key] = file_hunks(repo, old, new, path, context)
            except (runner.GitError, OSError):
                diffs[key] = None
        return diffs[key]

    try:
        new_base = diff_base(repo, project, proposal)
    except merging.ChangeError:
        new_base = None
    marked = []
    for comment in current:
        assert comment.path is not None and comment.line is not None
        was, is_at = ((comment.head, new_head) if comment.side == NEW
                      else (comment.base, new_base))
        line: int | None = None
        if was and is_at:
            if was == is_at:
                line = comment.line
            elif (moved := hunks(was, is_at, comment.path, 0)) is not None:
                line = line_rules.follow_line(moved, comment.line)
        if line is not None and new_base is not None:
            shown = hunks(new_base, new_head, comment.path, 3)
            if shown is None or not line_rules.in_diff(shown, comment.side or NEW, line):
                line = None
        if line is None:
            comment.outdated = True
            marked.append(comment)
        else:
            comment.line, comment.head, comment.base = line, new_head, new_base
    if marked:
        proposal.events.append(TimelineEvent(at=now, text=(
            f"{len(marked)} line comment{'s' if len(marked) != 1 else ''} outdated by this "
            "revision (the lines changed); they stay readable in the timeline.")))
    session.flush()
    return marked


def context_lines(settings: Settings, project: Project, comment_or_place: Comment | Place,
                  head: str, base: str, around: int = 3,
                  limit: int = 512 * 1024) -> list[tuple[int, str]]:
    """Up to *around* lines either side of a line, as (number, text), read
    from the file at the head (side new) or base (side old). Empty when the
    file is not there, not text, or the line is past the first *limit* bytes."""
    repo = repository_path(settings.repos_dir, project.slug)
    path, side, line = comment_or_place.path, comment_or_place.side, comment_or_place.line
    if path is None or line is None:
        return []
    commit = head if side == NEW else base
    if commit == EMPTY_TREE:
        return []
    try:
        sha, kind, _size = reading.object_at(repo, commit, path)
    except reading.NotInRepository:
        return []
    if kind != "blob":
        return []
    data = reading.blob_head(repo, sha, limit)
    if b"\0" in data[:8000]:
        return []
    lines = data.decode("utf-8", "replace").split("\n")
    first = max(1, line - around)
    return [(number, lines[number - 1]) for number in range(first, line + around + 1)
            if number <= len(lines) and not (number == len(lines) and lines[-1] == "")]


__all__ = ["EMPTY_TREE", "OLD", "NEW", "Place", "add_line_comment",
           "context_lines", "diff_base", "file_hunks", "mark_outdated"]
