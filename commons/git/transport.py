"""Run ``git upload-pack`` / ``git receive-pack --stateless-rpc`` with the
request body streamed in and git's answer streamed out: neither is ever held
whole in memory or on disk."""

import fcntl
import os
import select
import subprocess
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path

from commons.git import fsck

CHUNK = 64 * 1024
# Git's answer is copied in large pieces: a bigger pipe and bigger reads mean
# fewer system calls and chunk headers for the same pack (Linux only).
OUTPUT_CHUNK = 1024 * 1024
_F_SETPIPE_SZ = 1031
HOOKS_DIR = Path(__file__).resolve().parent / "hooks"
SERVICES = ("upload-pack", "receive-pack")
# Refs clients never see: the platform's own.
PLATFORM_REFS = "refs/commons/"
# Where a push to refs/for/ lands before it becomes refs/proposals/<n>/head.
INCOMING = PLATFORM_REFS + "incoming/"


class Transfers:
    """How many git transfers this process serves at once, and how many it
    may. Each holds one of the server's threads from the first byte of its
    request to the last byte of its answer (minutes for a slow clone or
    push), so a cap keeps the other threads for pages however many come;
    gunicorn.conf.py sets it from the worker's threads. No cap unless set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.running = 0

    def take(self) -> bool:
        """A slot for one more transfer, if there is one free."""
        with self._lock:
            if self.limit is not None and self.running >= self.limit:
                return False
            self.running += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.running -= 1


transfers = Transfers()


def limit_transfers(limit: int | None) -> None:
    """Serve at most *limit* git transfers at once in this process (None:
    any number). gunicorn.conf.py calls it as each worker starts."""
    transfers.limit = limit


class RequestTooLarge(ValueError):
    """The request body grew past its cap (counted as git would see it,
    after gunzipping)."""

    def __init__(self, limit: int):
        super().__init__(f"the request is over {limit} bytes")
        self.limit = limit


class RequestBody:
    """The request body as git should see it: gunzipped when the client sent
    ``Content-Encoding: gzip``, readable in pieces, then handed on whole.

    With a *limit*, reading stops with RequestTooLarge once more than
    *limit* bytes came out, and ``too_large`` stays set: a small gzip body
    can inflate a thousandfold, so only the inflated count bounds the work."""

    def __init__(self, stream, gzipped: bool, limit: int | None = None):
        self.limit = limit
        self.too_large = False
        self._chunks = self._read(stream, gzipped)
        self._buffer = b""

    def _read(self, stream, gzipped: bool) -> Iterator[bytes]:
        total = 0
        for chunk in self._inflate(stream, gzipped):
            total += len(chunk)
            if self.limit is not None and total > self.limit:
                self.too_large = True
                raise RequestTooLarge(self.limit)
            yield chunk

    @staticmethod
    def _inflate(stream, gzipped: bool) -> Iterator[bytes]:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        while True:
            data = stream.read(CHUNK)
            if not data:
                break
            if inflate is None:
                yield data
                continue
            # At most CHUNK out per step: the inflated body is never held.
            data = inflate.decompress(data, CHUNK)
            while data:
                yield data
                data = inflate.decompress(inflate.unconsumed_tail, CHUNK)
        if inflate is not None:
            rest = inflate.flush()
            if rest:
                yield rest
            if not inflate.eof:
                raise zlib.error("the gzip body ended before its end")

    def read(self, size: int) -> bytes:
        """Up to *size* bytes (fewer only at the end)."""
        while len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def __iter__(self) -> Iterator[bytes]:
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        yield from self._chunks


def hooks_ready() -> bool:
    """Whether git can run our hooks. git skips a hook that is not executable
    without a word, which would let force-pushes through and leave pushes
    unrecorded."""
    return all(os.access(HOOKS_DIR / name, os.X_OK)
               for name in ("pre-receive", "post-receive", "reference-transaction"))


def git_command(service: str, path: Path, *, advertise: bool,
                max_push_bytes: int | None = None, writable_ref: str | None = None) -> list[str]:
    assert service in SERVICES
    command = ["git", "-c", f"core.hooksPath={HOOKS_DIR}", "-c", "uploadpack.allowFilter=true",
               # Check every pushed object, so a malformed tree or a hostile
               # .gitmodules never lands in a repository others clone.
               "-c", "receive.fsckObjects=true",
               # ...except the harmless quirks of old histories (git/fsck.py).
               # Given here, not in each repository's config, so repositories
               # made before the rule (or restored from a backup) follow it too.
               *fsck.receive_options(),
               # The platform's own refs (commits pinned by proposals, pushes
               # to refs/for/ on their way to a proposal) are neither
               # advertised nor pushable.
               "-c", f"transfer.hideRefs={PLATFORM_REFS}",
               # Only advertised tips can be wanted in protocol v0/v1 (git's
               # default, said here so no system config widens it). v2 serves
               # any object it has: `git prune` is what forgets the rest.
               "-c", "uploadpack.allowAnySHA1InWant=false",
               "-c", "uploadpack.allowReachableSHA1InWant=false",
               "-c", "uploadpack.allowTipSHA1InWant=false",
               # A reflog entry per ref moved, naming the pusher (the caller's
               # committer environment): the push's durable record.
               "-c", "core.logAllRefUpdates=always"]
    if max_push_bytes:
        # git refuses a larger pack itself and tells the client why
        # ("pack exceeds maximum allowed size"); 0 means no cap.
        command += ["-c", f"receive.maxInputSize={max_push_bytes}"]
    if writable_ref:
        # The one platform ref this push may create: the server chose its
        # name (a later hideRefs entry overrides an earlier one).
        assert writable_ref.startswith(INCOMING) and service == "receive-pack"
        command += ["-c", f"receive.hideRefs=!{writable_ref}"]
    command += [service, "--stateless-rpc"]
    if advertise:
        command.append("--advertise-refs")
    return [*command, str(path)]


def run_git(service: str, path: Path, *, env: dict[str, str], body: Iterable[bytes] | None = None,
            advertise: bool = False, on_exit: Callable[[int, bytes], None] | None = None,
            max_push_bytes: int | None = None,
            writable_ref: str | None = None) -> Generator[bytes, None, None]:
    """Start git and yield its output as it comes.

    A thread feeds *body* to git's stdin while the caller reads stdout, so a
    large push or a long negotiation never deadlocks on a full pipe.
    *on_exit(returncode, stderr_tail)* runs once git has finished.

    git is never killed in the middle of a push: a body that breaks off just
    ends git's input (git then drops its quarantine itself), and a client
    that goes away mid-answer leaves receive-pack to finish its ref updates
    and hooks while its output is read and dropped."""
    # Its own process, not commons.git.runner's: the body is fed from a
    # thread while the answer is read in large pieces straight off a widened
    # pipe, stderr is kept only as a tail, and a push is never timed out or
    # killed half-way; the runner reads whole answers or short streams.
    process = subprocess.Popen(
        git_command(service, path, advertise=advertise, max_push_bytes=max_push_bytes,
                    writable_ref=writable_ref),
        env={**os.environ, **env},
        stdin=subprocess.PIPE if body is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None  # pipes
    errors = bytearray()
    failures: list[BaseException] = []

    def feed() -> None:
        assert body is not None and process.stdin is not None  # fed only when there is one
        try:
            for chunk in body:
                process.stdin.write(chunk)
        except BrokenPipeError:
            pass  # git stopped reading; its exit status says why
        except BaseException as error:  # a truncated or corrupt body
            failures.append(error)
        finally:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass

    def drain_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            errors.extend(line)
            del errors[:-8192]  # keep the tail for the log

    try:
        fcntl.fcntl(process.stdout.fileno(), _F_SETPIPE_SZ, OUTPUT_CHUNK)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default works
    threads = [threading.Thread(target=drain_stderr, daemon=True)]
    if body is not None:
        threads.append(threading.Thread(target=feed, daemon=True))
    for thread in threads:
        thread.start()
    finished = False
    try:
        descriptor = process.stdout.fileno()
        ended = False
        while not ended:
            data = os.read(descriptor, OUTPUT_CHUNK)
            if not data:
                break
            # git writes a pack in 64 KiB packets; gather what is already
            # waiting so each piece sent costs one chunk, not sixteen.
            pieces, size = [data], len(data)
            while size < OUTPUT_CHUNK and select.select([descriptor], [], [], 0)[0]:
                more = os.read(descriptor, OUTPUT_CHUNK - size)
                if not more:
                    ended = True
                    break
                pieces.append(more)
                size += len(more)
            yield pieces[0] if len(pieces) == 1 else b"".join(pieces)
        finished = True
    finally:
        if not finished:  # the client went away
            if service == "receive-pack":
                while os.read(process.stdout.fileno(), OUTPUT_CHUNK):
                    pass  # let git finish what it has begun
            else:
                process.terminate()  # a fetch changes nothing: stop it
        process.stdout.close()
        returncode = process.wait()
        for thread in threads:
            thread.join()
        if failures:
            returncode = returncode or -1
        if on_exit is not None:
            on_exit(returncode, bytes(errors))
