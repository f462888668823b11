"""The one way the platform runs git on a bare repository: the command is
built, timed out, logged and its failure described here, so every other
module says only what it asks git and what an answer means.

Two shapes: ``run`` for an answer read whole (small: refs, ids, trees, a
log page), ``start`` for output read as it comes and stopped early (blobs,
archives, patches, a history being indexed). The smart-HTTP transport
keeps its own process (see ``transport.run_git``)."""

import logging
import os
import select
import subprocess
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

# Long enough for a blame or a merge of a large repository, short enough that
# a stuck git does not hold a web worker for ever. gc passes its own.
TIMEOUT = 120.0
# The part of git's complaint an error keeps (git's own messages are short).
_STDERR_KEPT = 8192


class GitError(RuntimeError):
    """git exited with a status the caller did not expect, or did not finish
    in time (then *returncode* is None). The message is git's own complaint."""

    def __init__(self, command: list[str], returncode: int | None, stderr: str):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        subcommand = next((arg for arg in command[3:] if not arg.startswith("-")
                           and "=" not in arg), "git")
        super().__init__(stderr or (f"git {subcommand} took too long" if returncode is None
                                    else f"git {subcommand} failed"))


def command(path: Path, *args: str) -> list[str]:
    """The argument list that runs ``git args`` in the repository at *path*."""
    return ["git", "-C", str(path), *args]


def run(path: Path, *args: str, input: bytes | str | None = None,
        env: Mapping[str, str] | None = None, ok: Collection[int] | None = (0,),
        timeout: float | None = TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run git in the repository at *path* and return its whole answer
    (stdout and stderr as bytes). *env* adds to the server's environment.
    GitError when the exit status is not in *ok* (None: any status is an
    answer) or git runs past *timeout* seconds (it is killed then)."""
    argv = command(path, *args)
    if isinstance(input, str):
        input = input.encode("utf-8")
    # Without input, git reads an empty stdin, never the server's own.
    stdin = subprocess.DEVNULL if input is None else None
    started = time.monotonic()
    try:
        result = subprocess.run(argv, input=input, stdin=stdin, capture_output=True,
                                timeout=timeout, env={**os.environ, **env} if env else None)
    except subprocess.TimeoutExpired:
        log.warning("git timed out after %ss: %s", timeout, _shown(argv))
        raise GitError(argv, None, f"git did not finish within {timeout:g} seconds") from None
    log.debug("git exited %s in %.3fs: %s", result.returncode, time.monotonic() - started,
              _shown(argv))
    if ok is not None and result.returncode not in ok:
        stderr = result.stderr[-_STDERR_KEPT:].decode("utf-8", "replace").strip()
        raise GitError(argv, result.returncode, stderr)
    return result


def output(path: Path, *args: str, input: bytes | str | None = None,
           timeout: float | None = TIMEOUT) -> str:
    """git's stdout as text (UTF-8, undecodable bytes replaced); GitError
    unless git exits 0."""
    return run(path, *args, input=input, timeout=timeout).stdout.decode("utf-8", "replace")


def succeeds(path: Path, *args: str) -> bool:
    """Whether git exits 0: for the questions git answers with its status
    (does this ref or object exist, is this an ancestor)."""
    return run(path, *args, ok=None).returncode == 0


def start(path: Path, *args: str, stdin: bool = False, stderr: bool = False,
          text: bool = False) -> subprocess.Popen:
    """Start git and hand back the process, its stdout a pipe to read as it
    comes (and stdin or stderr too when asked; otherwise stdin is empty and
    stderr dropped). The caller reads what it needs, then kills or waits;
    no timeout here, since the reader decides how long it is worth."""
    argv = command(path, *args)
    log.debug("git started: %s", _shown(argv))
    return subprocess.Popen(
        argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
        encoding="utf-8" if text else None, errors="replace" if text else None)


def chunks(process: subprocess.Popen, stall: float = TIMEOUT,
           size: int = 64 * 1024) -> Iterator[bytes]:
    """What a ``start``ed git writes, as it comes, until it closes its
    output; GitError (returncode None) if git writes nothing for *stall*
    seconds, so a stuck git does not hold a worker for ever. It reads the
    pipe itself, so it must be the pipe's only reader; the caller still
    kills or waits for the process."""
    assert process.stdout is not None  # start() always pipes it
    descriptor = process.stdout.fileno()
    waiting = select.poll()  # select() refuses descriptors past 1024
    waiting.register(descriptor, select.POLLIN)
    while True:
        if not waiting.poll(stall * 1000):
            argv = process.args if isinstance(process.args, list) else [str(process.args)]
            log.warning("git wrote nothing for %ss: %s", stall, _shown(argv))
            raise GitError(argv, None, f"git wrote nothing for {stall:g} seconds")
        data = os.read(descriptor, size)
        if not data:
            return
        yield data


def _shown(argv: list[str]) -> str:
    return " ".join(argv)[:500]
