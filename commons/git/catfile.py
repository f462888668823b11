"""Object reads through one long-lived ``git cat-file --batch-command``
per repository and worker process, instead of a new git per read.

Starting git costs a few milliseconds (more from a process holding the
whole app); a page reading a ref, a tree, its README and a commit paid it
four times. One process per repository answers them all, each in a few
microseconds, with git's own object database: packs, loose objects,
alternates, and the refs as they are at each command.

- **Threads.** A worker's threads share one process per repository, each
  command under that process's lock. A read takes microseconds, so a lock
  costs less than one process per thread (64 threads, many repositories).
- **Freshness.** Objects never change once written. Names (``main``,
  ``v1.0^{}``, ``main:docs``) are resolved against the refs at each
  command, and git looks for packs again when an object is missing, so a
  push after the process started is seen.
- **Failure.** A process that died is started again on the next read; one
  that answers nothing for ``TIMEOUT`` seconds is killed and the read
  fails as a git that ran out of time would (``GitError``, returncode
  None).
- **Bounds.** At most ``limit`` processes per worker (least recently used
  closed first); one unused for ``idle`` seconds is closed; all are closed
  at exit. A repository replaced on disk (restored from a backup, deleted
  and made again) or whose packs changed (pushed, repacked, pruned: the
  pack folder's time) gets a new process, so a pruned object is not read
  from a pack git still holds open.

Names sent to git go one per line: a name with a newline or NUL in it is
refused (``NotFound``), so no one can slip a second command in."""

import atexit
import os
import select
import subprocess
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from commons.git import runner

TIMEOUT = 30.0
_CHUNK = 256 * 1024
# Commands sent before their answers are read: few enough that neither
# git's input nor its output pipe fills while the other side waits.
_BATCH = 200


class NotFound(LookupError):
    """The name is not an object of this repository (or cannot be one)."""


@dataclass(frozen=True)
class Info:
    sha: str
    kind: str      # "commit", "tree", "blob" or "tag"
    size: int


class Reader:
    """One ``git cat-file --batch-command --buffer`` process and its lock."""

    # What runs, and what ends a batch of commands (subclasses run another git).
    ARGS: tuple[str, ...] = ("cat-file", "--batch-command", "--buffer")
    FLUSH = b"flush\n"

    def __init__(self, path: Path, key: tuple[int, ...]):
        self.path = path
        self.key = key
        self.lock = threading.Lock()
        self.used = time.monotonic()
        self._process: subprocess.Popen | None = None
        self._pending = bytearray()
        # Set once the registry let go of it (evicted, idle, replaced): a
        # thread that got it just before must get the current one instead
        # of starting a process nobody would close.
        self.retired = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def info(self, names: list[str]) -> list[Info | None]:
        """Id, type and size of each name (None where there is no such object)."""
        found: list[Info | None] = []
        for start in range(0, len(names), _BATCH):
            part = names[start:start + _BATCH]
            commands = b"".join(b"info " + _line(name) for name in part)

            def exchange(commands: bytes = commands, count: int = len(part)) -> list:
                self._send(commands)
                return [self._header() for _ in range(count)]

            found.extend(self._retried(exchange))
        return found

    def contents(self, name: str, limit: int | None = None) -> tuple[Info, bytes] | None:
        """The object *name* names and its bytes, or None when there is none.
        With *limit*, objects larger than that are not read (None too): git
        would send them whole, so large blobs are better streamed apart."""
        if limit is not None:
            found = self.info([name])[0]
            if found is None or found.size > limit:
                return None
            name = found.sha
        command = b"contents " + _line(name)

        def exchange() -> tuple[Info, bytes] | None:
            self._send(command)
            header = self._header()
            if header is None:
                return None
            return header, self._read(header.size + 1)[:-1]  # each ends with a newline

        return self._retried(exchange)

    def contents_of(self, names: list[str]) -> list[tuple[Info, bytes] | None]:
        """The objects *names* name and their bytes, asked in one exchange
        (None where there is none). For small objects (commits): all of
        them are held at once. The commands go before any answer is read;
        _BATCH of them fit in the pipe, so git never waits on them."""
        if len(names) > _BATCH:
            raise ValueError(f"at most {_BATCH} objects at once")
        commands = b"".join(b"contents " + _line(name) for name in names)

        def exchange() -> list[tuple[Info, bytes] | None]:
            self._send(commands)
            found: list[tuple[Info, bytes] | None] = []
            for _ in names:
                header = self._header()
                found.append(None if header is None else
                             (header, self._read(header.size + 1)[:-1]))
            return found

        return self._retried(exchange)

    def _retried(self, exchange):
        """*exchange*'s answer; once more with a new process if git was gone
        (killed, or its repository replaced) before answering. Reads are
        idempotent, so asking again is safe."""
        try:
            try:
                return exchange()
            except _Gone:
                self._start()
                try:
                    return exchange()
                except _Gone as error:
                    raise runner.GitError(["git", "cat-file"], 128, str(error)) from None
        except BaseException:
            # Whatever broke off an exchange (an error, an interrupt) may
            # leave its answers unread: the next read would take them for
            # its own, so the process goes and the next read starts afresh.
            self.close()
            raise

    def close(self) -> None:
        process, self._process = self._process, None
        self._pending.clear()
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()  # git exits at the end of its input
        except OSError:
            pass
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    # The protocol: commands go in with a "flush" (--buffer), answers come
    # back in order; a failure of any kind closes the process, so the next
    # read starts a fresh one rather than reading a half-answer.

    def _send(self, commands: bytes) -> None:
        if self._process is None or self._process.poll() is not None:
            self._start()
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(commands + self.FLUSH)
        except OSError as error:
            self.close()
            raise _Gone(f"git cat-file is gone: {error}") from None

    def _start(self) -> None:
        self.close()
        self._process = subprocess.Popen(
            runner.command(self.path, *self.ARGS),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)

    def _header(self) -> Info | None:
        line = self._read_line().decode("utf-8", "replace")
        if line.endswith((" missing", " ambiguous")):
            return None
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].isdigit():
            self.close()
            raise runner.GitError(["git", "cat-file"], 128, f"unexpected answer {line[:200]!r}")
        return Info(parts[0], parts[1], int(parts[2]))

    def _read_line(self) -> bytes:
        while (end := self._pending.find(b"\n")) < 0:
            self._fill()
        line = bytes(self._pending[:end])
        del self._pending[:end + 1]
        return line

    def _read(self, size: int) -> bytes:
        while len(self._pending) < size:
            self._fill(size - len(self._pending))
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return data

    def _fill(self, wanted: int = _CHUNK) -> None:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        waiting = select.poll()  # select() refuses descriptors past 1024
        waiting.register(fd, select.POLLIN)
        if not waiting.poll(TIMEOUT * 1000):
            self._process.kill()
            self.close()
            raise runner.GitError(["git", "cat-file"], None,
                                  f"git cat-file did not answer within {TIMEOUT:g} seconds")
        data = os.read(fd, max(_CHUNK, min(wanted, 16 * _CHUNK)))
        if not data:
            self.close()
            raise _Gone("git cat-file stopped answering")
        self._pending += data


class _Gone(RuntimeError):
    """The process exited (or was killed) under a read."""


def _line(name: str) -> bytes:
    if "\n" in name or "\0" in name or not name:
        raise NotFound(f"{name!r} cannot name an object")
    return name.encode("utf-8", "surrogateescape") + b"\n"


class Readers:
    """This process's readers, least recently used first."""

    def __init__(self, limit: int = 32, idle: float = 300.0, kind: type[Reader] = Reader):
        self.kind = kind
        self.limit = limit
        self.idle = idle
        self._lock = threading.Lock()
        self._open: OrderedDict[str, Reader] = OrderedDict()
        self._pid = os.getpid()
        self._janitor: threading.Thread | None = None

    def get(self, path: Path) -> Reader:
        """The reader of the repository at *path* (started on its first read)."""
        stat = path.stat()  # FileNotFoundError for a repository that is not there
        try:
            packs = (path / "objects" / "pack").stat().st_mtime_ns
        except FileNotFoundError:
            packs = 0
        # Another folder at the path (a restored backup), or packs added or
        # removed (a push, gc, a prune: see ``packs_changed``): a new process,
        # so nothing is read from a pack that is gone.
        key = (stat.st_dev, stat.st_ino, packs)
        now = time.monotonic()
        closing: list[Reader] = []
        with self._lock:
            if self._pid != os.getpid():
                # A forked child (gunicorn with preload): the parent's pipes
                # are not ours to use or close, nor its thread ours.
                self._open.clear()
                self._pid = os.getpid()
                self._janitor = None
            if self._janitor is None:
                # Closes what an idle worker no longer reads (a busy one
                # closes it on the next read anyway).
                self._janitor = threading.Thread(target=self._close_idle_forever, daemon=True,
                                                 name="commons-catfile-janitor")
                self._janitor.start()
            name = str(path)
            reader = self._open.get(name)
            if reader is not None and reader.key != key:
                closing.append(self._retire(name))
                reader = None
            if reader is None:
                reader = self._open[name] = self.kind(path, key)
            self._open.move_to_end(name)
            reader.used = now
            for other_name, other in list(self._open.items()):
                if len(self._open) > self.limit or now - other.used > self.idle:
                    if other is not reader:
                        closing.append(self._retire(other_name))
        for old in closing:
            with old.lock:
                old.close()
        return reader

    def _retire(self, name: str) -> Reader:
        """Take *name*'s reader out of the registry (under ``_lock``)."""
        reader = self._open.pop(name)
        reader.retired = True
        return reader

    def close_idle(self) -> int:
        """Close the readers unused for ``idle`` seconds; how many."""
        now = time.monotonic()
        with self._lock:
            if self._pid != os.getpid():
                return 0
            idle = [name for name, reader in self._open.items() if now - reader.used > self.idle]
            closing = [self._retire(name) for name in idle]
        for reader in closing:
            with reader.lock:
                reader.close()
        return len(closing)

    def _close_idle_forever(self) -> None:
        while True:
            time.sleep(max(1.0, min(self.idle / 2, 60.0)))
            self.close_idle()

    def forget(self, path: Path) -> None:
        """Close the reader of *path*, if any (its repository is going away)."""
        with self._lock:
            reader = self._retire(str(path)) if str(path) in self._open else None
        if reader is not None:
            with reader.lock:
                reader.close()

    def close_all(self) -> None:
        with self._lock:
            readers = ([self._retire(name) for name in list(self._open)]
                       if self._pid == os.getpid() else [])
            self._open.clear()
        for reader in readers:
            with reader.lock:
                reader.close()

    def __len__(self) -> int:
        return len(self._open)


readers = Readers()
_registries = [readers]


def registry(kind: type[Reader]) -> Readers:
    """The processes of another long-lived git (*kind*), one per repository
    and worker, bounded, closed and started afresh as the readers are."""
    made = Readers(readers.limit, readers.idle, kind)
    _registries.append(made)
    return made


@atexit.register
def _close_all() -> None:
    for registered in _registries:
        registered.close_all()


def packs_changed(path: Path) -> None:
    """Tell every worker's reader of *path* to start afresh (objects were
    removed: pruned). The pack folder's time is what they compare."""
    try:
        os.utime(path / "objects" / "pack")
    except FileNotFoundError:
        pass
    for registered in _registries:
        registered.forget(path)


def configure(limit: int, idle: float) -> None:
    """At most *limit* processes per worker and kind of reader (cat-file
    readers, and the diff-tree readers of ``difftree.py``: so up to twice
    *limit* git processes in all), each closed after *idle* seconds unused
    (COMMONS_GIT_READERS, COMMONS_GIT_READER_IDLE)."""
    for registered in _registries:
        registered.limit = max(1, limit)
        registered.idle = idle


def info(path: Path, name: str) -> Info | None:
    """What *name* names in the repository at *path* (None: nothing)."""
    return infos(path, [name])[0]


def infos(path: Path, names: list[str]) -> list[Info | None]:
    """``info`` of each of *names*, in one exchange with git."""
    with locked(path) as reader:
        return reader.info(names)


def contents(path: Path, name: str, limit: int | None = None) -> tuple[Info, bytes] | None:
    """The object *name* names and its bytes (None: nothing, or larger than
    *limit*)."""
    with locked(path) as reader:
        return reader.contents(name, limit)


def contents_of(path: Path, names: list[str]) -> list[tuple[Info, bytes] | None]:
    """``contents`` of each of *names* (small objects, at most a few
    hundred), in one exchange with git."""
    with locked(path) as reader:
        return reader.contents_of(names)


@contextmanager
def locked(path: Path, registered: Readers | None = None) -> Iterator[Reader]:
    """The reader of *path*, locked; never one retired meanwhile."""
    while True:
        reader = (readers if registered is None else registered).get(path)
        with reader.lock:
            if not reader.retired:
                yield reader
                return
