"""Reading git's diff output into files, hunks and lines, within caps.

Pure: bytes in, plain values out. ``git diff --numstat -z`` gives the
summary of every file (cheap, exact paths); the patch text is fed line by
line to a ``PatchReader``, which keeps only what the page will show and says
when it has read enough, so the caller can stop git there."""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Side = Literal["old", "new"]
Kind = Literal["context", "added", "removed", "note"]

_HUNK = re.compile(rb"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@ ?(.*)$")
_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12,
            ord("r"): 13, ord('"'): 34, ord("\\"): 92}
# A line longer than this is cut for display (minified code is one line).
LINE_CHARS = 2000


def decode(raw: bytes) -> str:
    """A path or line for display: UTF-8, anything else replaced, never an
    error (a repository may hold any bytes)."""
    return raw.decode("utf-8", "replace")


def line_anchor(path: str, side: Side, line: int) -> str:
    """The stable id of one line of a diff: the same file, side and number
    give the same id on every page (Changes, compare, commit, comments)."""
    return f"{file_anchor(path)}-{side}-{line}"


def file_anchor(path: str) -> str:
    """The id of a file's section in a diff; a digest, since a path may hold
    any character."""
    return "diff-" + hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass(frozen=True)
class Line:
    kind: Kind
    old: int | None       # line number on the old side (None for an added line)
    new: int | None       # on the new side (None for a removed line)
    text: str


@dataclass
class Hunk:
    header: str           # "@@ -1,4 +1,5 @@"
    section: str          # the function git names after the header, if any
    lines: list[Line] = field(default_factory=list)
    html: list[str] = field(default_factory=list)   # the lines highlighted, if they are

    def rows(self) -> Iterator[tuple[Line, str | None]]:
        """Each line with its highlighted HTML, or None where there is none."""
        if self.html:
            return zip(self.lines, self.html, strict=False)
        return ((line, None) for line in self.lines)


@dataclass
class FileDiff:
    path: str             # the new path (the old one for a deleted file)
    old_path: str
    status: str = "modified"    # added, deleted, modified, renamed, copied
    similarity: int | None = None
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False
    added: int | None = None    # from --numstat; None for binary files
    removed: int | None = None
    collapsed: bool = False     # over the per-file cap: not rendered, linked
    rendered: bool = False      # its patch was read (False past the total cap)
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return file_anchor(self.path)

    @property
    def changed_lines(self) -> int:
        return (self.added or 0) + (self.removed or 0)


@dataclass
class Diff:
    files: list[FileDiff] = field(default_factory=list)
    truncated: bool = False     # a cap stopped the reading; the .patch has it all
    lines_read: int = 0         # diff lines kept (the rendered-lines cap counts these)
    bytes_read: int = 0

    @property
    def added(self) -> int:
        return sum(f.added or 0 for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed or 0 for f in self.files)


@dataclass(frozen=True)
class Caps:
    max_lines: int        # diff lines rendered in all
    max_bytes: int        # bytes of patch text read from git in all
    max_file_lines: int   # a file changing more lines than this is collapsed


def parse_numstat(output: bytes) -> list[FileDiff]:
    """Files of ``git diff --numstat -z -M``: ``added\\tremoved\\tpath\\0``,
    or for a rename ``added\\tremoved\\t\\0old\\0new\\0``; ``-`` counts mean
    a binary file."""
    files: list[FileDiff] = []
    fields = output.split(b"\0")
    index = 0
    while index < len(fields):
        item = fields[index]
        index += 1
        if not item:
            continue
        parts = item.split(b"\t", 2)
        if len(parts) != 3:
            continue
        added, removed, name = parts
        if name:
            old = new = decode(name)
            status = "modified"
        else:  # a rename: the old and the new path follow as fields of their own
            pair = fields[index:index + 2]
            index += 2
            if len(pair) < 2:
                break
            old, new = decode(pair[0]), decode(pair[1])
            status = "renamed"
        binary = added == b"-"
        files.append(FileDiff(new, old, status, binary=binary,
                              added=None if binary else int(added),
                              removed=None if binary else int(removed)))
    return files


def unquote(raw: bytes) -> bytes:
    """A path as git writes it in a patch header: bare, or in double quotes
    with C escapes (octal for bytes outside ASCII)."""
    if not (len(raw) >= 2 and raw.startswith(b'"') and raw.endswith(b'"')):
        return raw
    body, out, index = raw[1:-1], bytearray(), 0
    while index < len(body):
        byte = body[index]
        if byte == ord("\\") and index + 1 < len(body):
            following = body[index + 1]
            if 48 <= following <= 55:
                digits = body[index + 1:index + 4]
                out.append(int(digits, 8) & 0xFF)
                index += 1 + len(digits)
                continue
            out.append(_ESCAPES.get(following, following))
            index += 2
            continue
        out.append(byte)
        index += 1
    return bytes(out)


def _strip_prefix(raw: bytes, prefix: bytes) -> bytes:
    name = unquote(raw)
    return name[len(prefix):] if name.startswith(prefix) else name


def _git_line_paths(rest: bytes) -> tuple[bytes, bytes]:
    """The two paths of ``diff --git a/X b/Y`` (without a rename, X is Y,
    which makes an unquoted line with spaces unambiguous)."""
    if rest.startswith(b'"'):
        end = 1
        while end < len(rest) and not (rest[end] == ord('"') and rest[end - 1] != ord("\\")):
            end += 1
        first, second = rest[:end + 1], rest[end + 2:]
        return _strip_prefix(first, b"a/"), _strip_prefix(second, b"b/")
    if rest.endswith(b'"'):
        start = rest.rfind(b' "')
        return _strip_prefix(rest[:start], b"a/"), _strip_prefix(rest[start + 1:], b"b/")
    half = (len(rest) - 1) // 2
    return _strip_prefix(rest[:half], b"a/"), _strip_prefix(rest[half + 1:], b"b/")


class PatchReader:
    """Reads a unified diff (``git diff -p --no-color``) one line at a time
    into the files of *files* (from ``parse_numstat``, same order and
    options), keeping at most the caps. ``feed`` answers False once a cap is
    reached: nothing more will be kept, so the caller stops git."""

    def __init__(self, files: list[FileDiff], caps: Caps):
        self.diff = Diff(files)
        self.caps = caps
        self._by_path = {f.path: f for f in files}
        self._file: FileDiff | None = None
        self._hunk: Hunk | None = None
        self._old = self._new = 0
        self._file_lines = 0
        self._in_header = False
        self._unlisted: FileDiff | None = None

    def feed(self, raw: bytes) -> bool:
        diff, caps = self.diff, self.caps
        diff.bytes_read += len(raw)
        if diff.bytes_read > caps.max_bytes:
            diff.truncated = True
            return False
        raw = raw.rstrip(b"\n")
        if raw.startswith(b"diff --git "):
            self._start_file(raw[len(b"diff --git "):])
            return True
        current = self._file
        if current is None:
            return True
        if self._in_header:
            self._header_line(current, raw)
            return True
        return self._body_line(current, raw)

    def finish(self) -> Diff:
        """The diff as read; files the reading never reached stay unrendered."""
        self._keep_unlisted()
        return self.diff

    def _start_file(self, rest: bytes) -> None:
        self._keep_unlisted()
        old, new = _git_line_paths(rest)
        path = decode(new)
        found = self._by_path.get(path)
        if found is None:
            # Not in the summary (it was cut short), or a rename whose
            # unquoted names hold spaces: "rename to" settles which it is.
            found = self._unlisted = FileDiff(path, decode(old))
        found.rendered = True
        self._file, self._hunk, self._in_header = found, None, True
        self._file_lines = 0

    def _header_line(self, current: FileDiff, raw: bytes) -> None:
        if raw.startswith(b"@@"):
            self._in_header = False
            self._body_line(current, raw)
        elif raw.startswith(b"new file mode "):
            current.status, current.new_mode = "added", decode(raw[14:])
        elif raw.startswith(b"deleted file mode "):
            current.status, current.old_mode = "deleted", decode(raw[18:])
        elif raw.startswith(b"old mode "):
            current.old_mode = decode(raw[9:])
        elif raw.startswith(b"new mode "):
            current.new_mode = decode(raw[9:])
        elif raw.startswith(b"similarity index "):
            current.similarity = int(raw[17:].rstrip(b"%") or 0)
        elif raw.startswith(b"rename to ") or raw.startswith(b"copy to "):
            self._renamed_to(current, decode(unquote(raw.split(b" ", 2)[2])))
        elif raw.startswith(b"rename from ") or raw.startswith(b"copy from "):
            current.old_path = decode(unquote(raw.split(b" ", 2)[2]))
            if raw.startswith(b"copy"):
                current.status = "copied"
            elif current.status == "modified":
                current.status = "renamed"
        elif raw.startswith(b"Binary files ") or raw == b"GIT binary patch":
            current.binary = True
        # "index 0000000..", "---" and "+++" lines say nothing the page needs.

    def _renamed_to(self, current: FileDiff, path: str) -> None:
        listed = self._by_path.get(path)
        if current is not self._unlisted or listed is None:
            current.path = path
            return
        # The summary's entry, with what the header said so far.
        listed.old_path, listed.status, listed.similarity = (
            current.old_path, current.status, current.similarity)
        listed.old_mode, listed.new_mode = current.old_mode, current.new_mode
        listed.rendered = True
        self._file, self._unlisted = listed, None

    def _keep_unlisted(self) -> None:
        if self._unlisted is not None:
            self.diff.files.append(self._unlisted)
            self._by_path[self._unlisted.path] = self._unlisted
            self._unlisted = None

    def _body_line(self, current: FileDiff, raw: bytes) -> bool:
        diff, caps = self.diff, self.caps
        if current.collapsed:
            return True
        if raw.startswith(b"@@"):
            match = _HUNK.match(raw)
            if match is None:
                return True
            self._old, self._new = int(match.group(1)), int(match.group(2))
            header = raw[:match.start(3)].rstrip() if match.group(3) else raw
            self._hunk = Hunk(decode(header), decode(match.group(3)))
            current.hunks.append(self._hunk)
            return True
        hunk = self._hunk
        if hunk is None:
            return True
        if self._file_lines >= caps.max_file_lines:
            # Over the per-file cap (numstat did not know, or said less): fold
            # it, and give back what it took of the total.
            current.collapsed = True
            diff.lines_read -= self._file_lines
            current.hunks, self._hunk = [], None
            return True
        if diff.lines_read >= caps.max_lines:
            diff.truncated = True
            return False
        marker, text = raw[:1], decode(raw[1:1 + LINE_CHARS * 4])[:LINE_CHARS]
        if marker == b"+":
            line = Line("added", None, self._new, text)
            self._new += 1
        elif marker == b"-":
            line = Line("removed", self._old, None, text)
            self._old += 1
        elif marker == b"\\":
            line = Line("note", None, None, text.strip())
        else:
            line = Line("context", self._old, self._new, text)
            self._old += 1
            self._new += 1
        hunk.lines.append(line)
        diff.lines_read += 1
        self._file_lines += 1
        return True
