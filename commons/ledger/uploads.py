"""Evidence files sent with the receipt form. The file is staged beside
the store while the receipt is checked; it moves into the store only if the
receipt is recorded, so a refused receipt leaves nothing behind and never
touches a file another receipt names."""

import re
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import FileStorage

from commons.ledger import evidence
from commons.ledger.evidence import Staged
from commons.ledger.services import Evidence

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StoredUpload:
    evidence: Evidence
    staged: Staged

    def keep(self) -> None:
        self.staged.keep()

    def discard(self) -> None:
        self.staged.drop()


def store_upload(upload: FileStorage | None, root: Path, max_bytes: int) -> StoredUpload | None:
    """Stage a form's file (None if none was chosen); ``evidence.stage``
    refuses one over *max_bytes* with a 422 and keeps nothing."""
    if upload is None or not upload.filename:
        return None
    staged = evidence.stage(upload.stream, root, max_bytes)
    # What the browser says, tidied: a name without folders or control
    # characters, a media type that is one (served only if harmless).
    name = _CONTROL.sub("", re.split(r"[/\\]", upload.filename)[-1]).strip()[:200]
    kind = (upload.mimetype or "").lower()
    kind = kind if _MEDIA_TYPE.fullmatch(kind) else "application/octet-stream"
    return StoredUpload(Evidence(staged.sha256, staged.size, name or "evidence", kind), staged)
