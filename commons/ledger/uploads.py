"""Evidence files sent with the receipt form. The file is stored
content-addressed before the receipt that names it is written; if the
receipt is refused, a file this request added is taken out again, so bad
input leaves nothing behind (a file someone stored earlier stays)."""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from werkzeug.datastructures import FileStorage

from commons.ledger import evidence
from commons.ledger.services import Evidence

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StoredUpload:
    evidence: Evidence
    path: Path
    new: bool  # this request put it in the store

    def discard(self) -> None:
        """Take the file out again if this request put it there."""
        if self.new:
            self.path.unlink(missing_ok=True)


def store_upload(upload: FileStorage | None, root: Path, max_bytes: int) -> StoredUpload | None:
    """Store a form's file (None if none was chosen); ``evidence.store``
    refuses one over *max_bytes* with a 422 and keeps nothing."""
    if upload is None or not upload.filename:
        return None
    known = _already_stored(upload.stream, root, max_bytes)
    sha256, size = evidence.store(upload.stream, root, max_bytes)
    path = evidence.path_for(root, sha256)
    assert path is not None
    # What the browser says, tidied: a name without folders or control
    # characters, a media type that is one (served only if harmless).
    name = _CONTROL.sub("", re.split(r"[/\\]", upload.filename)[-1]).strip()[:200]
    kind = (upload.mimetype or "").lower()
    kind = kind if _MEDIA_TYPE.fullmatch(kind) else "application/octet-stream"
    return StoredUpload(Evidence(sha256, size, name or "evidence", kind), path, not known)


def _already_stored(stream: BinaryIO, root: Path, max_bytes: int) -> bool:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            break
        digest.update(chunk)
    stream.seek(0)
    path = evidence.path_for(root, digest.hexdigest())
    return size <= max_bytes and path is not None and path.exists()
