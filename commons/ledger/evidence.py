"""Evidence files, stored content-addressed: a file's name on disk is its
sha256, so the journal entry that names the hash names the bytes, the same
file uploaded twice is kept once, and no path comes from what a person
typed."""

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from commons.problems import Invalid

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 16


def too_large(max_bytes: int) -> str:
    """What to tell someone whose file is over the limit."""
    if max_bytes >= 1024 * 1024:
        limit = f"{max_bytes / (1024 * 1024):g} MiB"
    elif max_bytes >= 1024:
        limit = f"{max_bytes / 1024:g} KiB"
    else:
        limit = f"{max_bytes} bytes"
    return f"The evidence file is larger than {limit}; link to it instead, or upload a smaller file."


def path_for(root: Path, sha256: str) -> Path | None:
    """Where the file with this hash lives, or None for a malformed hash."""
    if not _SHA256.fullmatch(sha256):
        return None
    return root / sha256[:2] / sha256


@dataclass
class Staged:
    """A file hashed and written beside the store, not yet in it: a refused
    receipt drops it without touching what other receipts name."""

    sha256: str
    size: int
    temporary: Path
    final: Path

    def keep(self) -> None:
        """Move it into the store (the same bytes if they are there already)."""
        self.final.parent.mkdir(exist_ok=True)
        os.replace(self.temporary, self.final)

    def drop(self) -> None:
        self.temporary.unlink(missing_ok=True)


def stage(stream: IO[bytes], root: Path, max_bytes: int) -> Staged:
    """Copy *stream* beside the store, hashing as it goes; refuse it past
    *max_bytes* (nothing is kept)."""
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(dir=root, prefix=".upload-")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Invalid(too_large(max_bytes), field="evidence_file")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid("The evidence file is empty.", field="evidence_file")
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sha256 = digest.hexdigest()
    final = path_for(root, sha256)
    assert final is not None
    return Staged(sha256, size, temporary, final)


def store(stream: IO[bytes], root: Path, max_bytes: int) -> tuple[str, int]:
    """Copy *stream* into the store at once. Returns (sha256, size)."""
    staged = stage(stream, root, max_bytes)
    staged.keep()
    return staged.sha256, staged.size
