"""Reading what the path index is built from, without I/O: git log's
``-z --name-status`` output of a first-parent line, and the paths a changed
file makes a commit part of the history of (the file and its folders, as
``git log -- <folder>`` lists a commit that changed anything below)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Each commit's header as the index asks git for it: "/<id> <parent ids>".
HEADER_FORMAT = "/%H %P"
# What --name-status -z puts before each path (no R or C: --no-renames).
_STATUSES = frozenset(b"ACDMTUXB")
# Longer paths are left to git: PostgreSQL keys hold at most about 2,700
# bytes, and no browse page needs such a look-up to be fast.
LONGEST_INDEXED = 1024


@dataclass(frozen=True)
class ChangedCommit:
    sha: str
    first_parent: str | None  # None for a root commit
    paths: tuple[str, ...]    # as git listed them: files, no folders


class Unreadable(ValueError):
    """git's output is not what the index asked for."""


class LogReader:
    """git log's output fed in pieces as they come, its commits taken out
    as soon as each is whole (the next header, or the end, closes one).

    After a header come pairs of a status letter and a path; a header can
    only stand where a status could, so no file name, whatever it holds,
    is ever read as one."""

    def __init__(self) -> None:
        self._rest = b""
        self._current: tuple[str, str | None] | None = None
        self._paths: list[str] = []
        self._path_next = False  # a status was read: its path comes next
        self._fresh = False      # right after a header: git's newline comes first

    def feed(self, data: bytes) -> Iterator[ChangedCommit]:
        tokens = (self._rest + data).split(b"\0")
        self._rest = tokens.pop()  # the piece after the last NUL: not whole yet
        for token in tokens:
            yield from self._take(token)

    def end(self) -> Iterator[ChangedCommit]:
        if self._rest or self._path_next:
            raise Unreadable("git's output ends in the middle of a commit")
        if self._current is not None:
            yield self._close()

    def _take(self, token: bytes) -> Iterator[ChangedCommit]:
        if self._path_next:
            self._paths.append(token.decode("utf-8", "replace"))
            self._path_next = False
            return
        if self._fresh:
            token = token.removeprefix(b"\n")
            self._fresh = False
        if len(token) == 1 and token[0] in _STATUSES:
            if self._current is None:
                raise Unreadable("a path before any commit")
            self._path_next = True
            return
        if not token.startswith(b"/"):
            raise Unreadable(f"neither a commit nor a change: {token[:80]!r}")
        if self._current is not None:
            yield self._close()
        ids = token[1:].decode("ascii", "replace").split()
        if not ids:
            raise Unreadable("a commit header without a commit id")
        self._current = (ids[0], ids[1] if len(ids) > 1 else None)
        self._fresh = True

    def _close(self) -> ChangedCommit:
        assert self._current is not None
        commit = ChangedCommit(self._current[0], self._current[1], tuple(self._paths))
        self._current, self._paths = None, []
        return commit


def with_folders(paths: Iterable[str]) -> set[str]:
    """*paths* and every folder above each: what a history page may be
    asked for, so that a folder's history is a look-up too."""
    found: set[str] = set()
    for path in paths:
        while path and path not in found:
            found.add(path)
            path = path.rpartition("/")[0]
    return found


def indexable(path: str) -> bool:
    """Whether the index holds *path*'s history: not a name git gave in
    bytes that are not UTF-8 (several such names would read alike), nor one
    too long for a key. Git answers for the others."""
    return "\ufffd" not in path and len(path.encode("utf-8")) <= LONGEST_INDEXED
