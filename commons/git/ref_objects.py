"""What ``git for-each-ref`` prints of the objects refs name, read instead
through the worker's long-lived ``git cat-file`` and kept per object id.

After a push the branches page must list its refs again. Starting
for-each-ref costs 4 ms; the objects a page needs are mostly those the
last list already read, and an object never changes, so what it shows
(the commit a ref stands for, that commit's date, a subject) is kept by
its id. The reading below is for-each-ref's (git's ref-filter.c) on the
plain objects every git writes; an object it does not read plainly is
left to git (None), so that a page never shows what git would not:

- the date is the committer line's time stamp (``%(committerdate)``), of
  the commit itself or of the commit an annotated tag names
  (``%(*committerdate)``); a tag of anything but a commit is git's;
- the subject is the message's first paragraph, its lines joined by
  spaces (``%(contents:subject)``); a message with a carriage return or a
  line that starts a signature is git's, since git's versions read those
  differently."""

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

from commons.git import catfile


class Facts(NamedTuple):
    commit: str    # the commit the ref stands for (an annotated tag's target)
    stamp: int     # that commit's committer time stamp
    subject: str


# Past this many objects not kept, for-each-ref is the quicker (a first
# view of 800 tags: 15 ms against 21 for cat-file), and what it prints is
# kept instead (``remember``).
FEW = 64


# Objects kept per worker (about 200 bytes each), least recently used
# dropped first.
_KEPT = 50_000
_kept: OrderedDict[str, Facts] = OrderedDict()
_lock = threading.Lock()
# What cat-file is asked at once (it answers in one exchange).
_BATCH = 200

_OBJECT_ID = rb"[0-9a-f]{40}(?:[0-9a-f]{24})?"
_TARGET = re.compile(rb"object (" + _OBJECT_ID + rb")\ntype commit\ntag ")
# Objects larger than this are left to git: a ref may name a blob of
# gigabytes (a lightweight tag), which cat-file would hand over whole.
_LARGEST = 256 * 1024
_STAMP = re.compile(rb"(\d{1,11}) [+-]\d{4}")
_SIGNATURE_START = b"-----BEGIN "


def commit_facts(sha: str, raw: bytes) -> Facts | None:
    """A commit object's facts as for-each-ref shows them, or None."""
    # git reads an object up to its first NUL, header included.
    if not raw.startswith(b"tree ") or b"\0" in raw:
        return None
    header, message = _split(raw)
    stamp = _committer_stamp(header)
    subject = _subject(message)
    if stamp is None or subject is None:
        return None
    return Facts(sha, stamp, subject)


def remember(sha: str, facts: Facts) -> None:
    """Keep what git printed of an object: for a commit, the commit's own
    id as *facts*' commit; for an annotated tag, the commit it names."""
    with _lock:
        _keep(sha, facts)


def unknown(ids) -> int:
    """How many of the object *ids* are not kept."""
    return sum(1 for sha in ids if sha not in _kept)


def _keep(sha: str, facts: Facts) -> None:
    _kept[sha] = facts
    _kept.move_to_end(sha)
    while len(_kept) > _KEPT:
        _kept.popitem(last=False)


def tag_target(raw: bytes) -> tuple[str, str] | None:
    """The commit an annotated tag names and the tag's subject, or None
    (a tag of another kind of object, or one git may read otherwise)."""
    target = _TARGET.match(raw)
    if target is None or b"\0" in raw:
        return None
    subject = _subject(_split(raw)[1])
    return None if subject is None else (target[1].decode(), subject)


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    """The header's lines, and the message after the empty line ending it
    (empty lines before the message skipped, as git does)."""
    header, _, message = raw.partition(b"\n\n")
    return header.split(b"\n"), message.lstrip(b"\n")


def _committer_stamp(header: list[bytes]) -> int | None:
    for line in header:
        if line.startswith(b"committer "):
            # git reads the number after the first "> ", past the email.
            at = line.find(b"> ")
            stamp = _STAMP.fullmatch(line, at + 2) if at >= 0 else None
            return int(stamp[1]) if stamp else None
    return None


def _subject(message: bytes) -> str | None:
    if b"\r" in message or message.startswith(_SIGNATURE_START) \
            or b"\n" + _SIGNATURE_START in message:
        return None
    return message.partition(b"\n\n")[0].rstrip(b"\n").replace(b"\n", b" ") \
        .decode("utf-8", "replace")


def facts(path: Path, ids: list[str], commits_only: bool = False) -> dict[str, Facts] | None:
    """The facts of each object *ids* names in the repository at *path*,
    or None if any is missing or is not read plainly (git must list)."""
    found: dict[str, Facts] = {}
    with _lock:
        for sha in ids:
            if sha in _kept:
                _kept.move_to_end(sha)
                found[sha] = _kept[sha]
    if commits_only and any(kept.commit != sha for sha, kept in found.items()):
        return None
    read = _read(path, [sha for sha in ids if sha not in found])
    if read is None:
        return None
    tags: dict[str, tuple[str, str]] = {}
    for sha, (kind, raw) in read.items():
        if kind == "commit":
            facts_of = commit_facts(sha, raw)
            if facts_of is None:
                return None
            found[sha] = facts_of
        elif kind == "tag" and not commits_only and (target := tag_target(raw)) is not None:
            tags[sha] = target
        else:
            return None
    if tags:
        # for-each-ref peels one level: the tag must name a commit.
        commits = facts(path, sorted({commit for commit, _ in tags.values()}), commits_only=True)
        if commits is None:
            return None
        for sha, (commit, subject) in tags.items():
            found[sha] = Facts(commit, commits[commit].stamp, subject)
    with _lock:
        for sha in read:
            _keep(sha, found[sha])
    return found


def _read(path: Path, ids: list[str]) -> dict[str, tuple[str, bytes]] | None:
    """Each object's type and bytes; None if one is missing, is neither a
    commit nor a tag, or is large. The types and sizes are asked first,
    so nothing large is read."""
    read: dict[str, tuple[str, bytes]] = {}
    for start in range(0, len(ids), _BATCH):
        part = ids[start:start + _BATCH]
        # An id git does not take whole (40 hex digits in a SHA-256
        # repository are an abbreviation to cat-file) is git's to judge.
        if any(info is None or info.sha != sha or info.kind not in ("commit", "tag")
               or info.size > _LARGEST
               for sha, info in zip(part, catfile.infos(path, part), strict=True)):
            return None
        for sha, answer in zip(part, catfile.contents_of(path, part), strict=True):
            if answer is None:
                return None
            read[sha] = (answer[0].kind, answer[1])
    return read
