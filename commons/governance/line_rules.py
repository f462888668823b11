"""Line comments as pure rules: where a comment may sit, what its body may
be, and when a later revision makes it outdated.

A line comment names a file, a side and a line of a merge proposal's diff
(``base`` to the pinned ``head``): side ``new`` counts lines of the file at
the head, side ``old`` lines of the file at the base. A line is in the diff
when it falls inside one of the file's hunks on that side (context lines
included), as git prints them with three lines of context.

When the proposal is revised, a comment is **outdated** once the diff
between the commit it was written on and the revision's commit (for side
``new`` the old and new heads, for side ``old`` the old and new bases)
touches its line, the file is gone at the new commit (deleted or renamed
away: git is asked without rename detection, so a rename is a deletion), or
the line is no longer part of the proposal's diff. Otherwise it follows its
line to the new revision: insertions and deletions above it move it down or
up. An outdated comment keeps the line and commit it was written on, so it
stays readable.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from commons.git import diff_rules
from commons.text import TextError, clean_text

OLD, NEW = "old", "new"
SIDES = (OLD, NEW)
# The comment cap when COMMONS_COMMENT_MAX_CHARS is not set.
DEFAULT_MAX_CHARS = 10000
# A path as git prints it (and as people send it): long enough for any
# real tree, short enough to keep in a column.
MAX_PATH_CHARS = 4096

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class LineError(ValueError):
    """A line comment cannot be accepted; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@ -old_start,old_count +new_start,new_count @@`` range. A
    count of 0 means the hunk has no lines on that side: it sits just after
    line *start* (0 meaning before the first line)."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int

    def lines(self, side: str) -> range:
        """The line numbers the hunk covers on *side*."""
        start, count = ((self.old_start, self.old_count) if side == OLD
                        else (self.new_start, self.new_count))
        return range(start, start + count)


def parse_hunk_headers(lines: Iterable[str]) -> list[Hunk]:
    """The hunks of the ``@@`` lines among *lines* (one file's diff); other
    lines are skipped. A missing count means 1, as in git's output."""
    hunks = []
    for line in lines:
        match = _HUNK_HEADER.match(line)
        if match:
            old_start, old_count, new_start, new_count = match.groups()
            hunks.append(Hunk(int(old_start), 1 if old_count is None else int(old_count),
                              int(new_start), 1 if new_count is None else int(new_count)))
    return hunks


def in_diff(hunks: Iterable[Hunk], side: str, line: int) -> bool:
    """Whether *line* on *side* is shown in the diff (inside a hunk)."""
    return any(line in hunk.lines(side) for hunk in hunks)


def follow_line(hunks: Iterable[Hunk], line: int) -> int | None:
    """Where *line* of the diff's old side is on its new side, or None when
    a hunk changes it. *hunks* come from a diff without context (``-U0``), so
    every line a hunk covers on the old side is removed or replaced."""
    shift = 0
    for hunk in hunks:
        if hunk.old_count == 0:
            # Lines inserted after old line old_start.
            if hunk.old_start < line:
                shift += hunk.new_count
            continue
        if line in hunk.lines(OLD):
            return None
        if hunk.old_start + hunk.old_count - 1 < line:
            shift += hunk.new_count - hunk.old_count
    return line + shift


def check_place(path: str, side: str, line: int) -> str:
    """The path, cleaned, if (*path*, *side*, *line*) can name a line at all;
    LineError otherwise. Whether the diff shows it is asked of git."""
    if side not in SIDES:
        raise LineError(f"Side must be “old” (the base) or “new” (the proposed head), "
                        f"not “{side}”.")
    if line < 1:
        raise LineError(f"Line numbers start at 1; there is no line {line}.")
    path = path.strip().strip("/")
    if not path:
        raise LineError("Name the file the line is in.")
    if len(path) > MAX_PATH_CHARS or "\0" in path or any(
            part in ("", ".", "..") for part in path.split("/")):
        raise LineError(f"“{path[:200]}” is not a file path of this repository.")
    return path


def check_body(body: str | None, max_chars: int, label: str = "Comment") -> str:
    """The comment's text, cleaned (NFC, trimmed, no control characters);
    LineError when it is empty or longer than *max_chars*."""
    try:
        return clean_text(body, label=label, max_length=max_chars, multiline=True)
    except TextError as error:
        raise LineError(str(error)) from None


def line_anchor(path: str, side: str, line: int) -> str:
    """The id of a diff line on the Changes page, the same wherever the
    line is linked from (the diff renderer's own)."""
    return diff_rules.line_anchor(path, "old" if side == "old" else "new", line)
