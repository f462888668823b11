"""Code search: ``git grep`` on projects' default branches, through the
one git runner, for a fixed string (nothing in the query is a pattern or an
option), within a time budget and a number of hits."""

import os
import select
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from commons.git import runner

# A string shorter than this is in nearly every line: not searched.
MIN_CHARS = 2
MAX_HITS_PER_FILE = 3
LINE_CHARS = 300
# What is kept of one line of git's output (path, number, text): a minified
# file's single line of megabytes is cut here as it is read, never held.
RECORD_BYTES = 4096


@dataclass(frozen=True)
class CodeHit:
    slug: str
    branch: str
    path: str
    line: int
    text: str


@dataclass
class CodeSearch:
    """What a code search found, in which projects it looked, and where it
    stopped short: *timed_out* names the project the time ran out in."""

    hits: list[CodeHit] = field(default_factory=list)
    searched: int = 0
    timed_out: str | None = None
    full: bool = False  # stopped at the most hits shown


@dataclass(frozen=True)
class Repository:
    slug: str
    path: Path
    branch: str


def search(repositories: list[Repository], needle: str, *, budget: float,
           max_hits: int) -> CodeSearch:
    """Look for *needle* (case ignored) in each repository's default branch
    in turn, until *max_hits* lines are found or *budget* seconds are spent."""
    found = CodeSearch()
    if len(needle.strip()) < MIN_CHARS:
        return found
    deadline = time.monotonic() + budget
    for repository in repositories:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            found.timed_out = repository.slug
            break
        try:
            hits = grep(repository, needle, timeout=remaining,
                        max_hits=max_hits - len(found.hits))
        except runner.GitError as error:
            if error.returncode is None:
                found.timed_out = repository.slug
                break
            continue  # a broken repository hides nothing from the others
        found.searched += 1
        found.hits += hits
        if len(found.hits) >= max_hits:
            found.full = True
            break
    return found


def grep(repository: Repository, needle: str, *, timeout: float,
         max_hits: int) -> list[CodeHit]:
    """The lines of the default branch's files that contain *needle*, at
    most a few per file and *max_hits* in all; none when the branch does not
    exist yet. git's output is read as it comes and git is stopped once
    enough is found, so a common string costs no more than a rare one."""
    if not repository.path.is_dir():
        return []
    deadline = time.monotonic() + timeout
    resolved = runner.run(repository.path, "rev-parse", "--verify", "--quiet",
                          f"refs/heads/{repository.branch}^{{commit}}", ok=None,
                          timeout=timeout)
    if resolved.returncode != 0:
        return []
    commit = resolved.stdout.decode().strip()
    # -F: a fixed string; -e: even one that starts with "-"; -I: no binaries;
    # -z: paths as they are, so any character in them is safe.
    args = ("grep", "-I", "-F", "-i", "-n", "-z", f"--max-count={MAX_HITS_PER_FILE}",
            "-e", needle, commit, "--")
    process = runner.start(repository.path, *args)
    hits: list[CodeHit] = []
    finished = False
    try:
        for record in _records(process, deadline):
            if hit := _hit(repository, commit, record):
                hits.append(hit)
            if len(hits) >= max_hits:
                break
        else:
            finished = True
    except TimeoutError:
        raise runner.GitError(runner.command(repository.path, *args), None,
                              f"git grep did not finish within {timeout:g} seconds") from None
    finally:
        process.kill()  # nothing if it has exited; stops it if we stopped reading
        process.wait()
        if process.stdout:
            process.stdout.close()
    if finished and process.returncode not in (0, 1):
        raise runner.GitError(runner.command(repository.path, *args), process.returncode,
                              "git grep failed")
    return hits


def _records(process, deadline: float) -> Iterator[bytes]:
    """git's output split at newlines as it arrives, each record cut to
    RECORD_BYTES; TimeoutError once *deadline* (monotonic) passes."""
    fd = process.stdout.fileno()
    record = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, 65536)
        if not chunk:
            if record:
                yield record
            return
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            yield record + piece[:max(0, RECORD_BYTES - len(record))]
            record = b""
        record += rest[:max(0, RECORD_BYTES - len(record))]


def _hit(repository: Repository, commit: str, record: bytes) -> CodeHit | None:
    pieces = record.split(b"\0", 2)
    if len(pieces) != 3 or not pieces[1].isdigit():
        return None
    name, number, text = pieces
    return CodeHit(slug=repository.slug, branch=repository.branch,
                   path=name.decode("utf-8", "replace").removeprefix(commit + ":"),
                   line=int(number), text=text.decode("utf-8", "replace")[:LINE_CHARS])
