"""Reading what the path index is built from, without I/O: git log's
``-z --name-only`` output of a first-parent line, and the paths a changed
file makes a commit part of the history of (the file and its folders, as
``git log -- <folder>`` lists a commit that changed anything below)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Each commit's header as the index asks git for it: a byte no path name
# holds in practice, then "<id> <parent ids>".
HEADER_FORMAT = "%x01%H %P"
_HEADER = b"\x01"


@dataclass(frozen=True)
class ChangedCommit:
    sha: str
    first_parent: str | None  # None for a root commit
    paths: tuple[str, ...]    # as git listed them: files, no folders


class Unreadable(ValueError):
    """git's output is not what the index asked for."""


class LogReader:
    """git log's output fed in pieces as they come, its commits taken out
    as soon as each is whole (the next header, or the end, closes one)."""

    def __init__(self) -> None:
        self._rest = b""
        self._current: tuple[str, str | None] | None = None
        self._paths: list[str] = []

    def feed(self, data: bytes) -> Iterator[ChangedCommit]:
        tokens = (self._rest + data).split(b"\0")
        self._rest = tokens.pop()  # the piece after the last NUL: not whole yet
        for token in tokens:
            yield from self._take(token)

    def end(self) -> Iterator[ChangedCommit]:
        if self._rest:
            raise Unreadable("git's output ends in the middle of a name")
        if self._current is not None:
            yield self._close()

    def _take(self, token: bytes) -> Iterator[ChangedCommit]:
        if token.startswith(_HEADER):
            if self._current is not None:
                yield self._close()
            ids = token[1:].decode("ascii", "replace").split()
            if not ids:
                raise Unreadable("a commit header without a commit id")
            self._current = (ids[0], ids[1] if len(ids) > 1 else None)
            return
        if self._current is None:
            raise Unreadable("a path before any commit")
        if not self._paths:
            # git puts one newline between a commit's header and its paths.
            token = token.removeprefix(b"\n")
        self._paths.append(token.decode("utf-8", "replace"))

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
