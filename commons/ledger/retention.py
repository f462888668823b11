"""What evidence files may cost: a per-member upload quota, and pruning the
files no receipt names.

An evidence file is uploaded first (``POST /api/v1/projects/<slug>/evidence``)
and named by a receipt afterwards, so the store holds files nobody may ever
name. Each upload is recorded (``EvidenceUpload``): the quota adds up what a
member uploaded in the last window, across every project, whether a receipt
names the file or not; ``flask --app commons ledger prune-evidence`` removes
a file once no journal entry names it and its newest upload is older than
the grace period."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import evidence
from commons.ledger.models import EvidenceFile, EvidenceUpload
from commons.problems import Invalid
from commons.projects.models import Project

# Prefix of the files ``evidence.stage`` writes before a file is kept.
_STAGED = ".upload-"


@dataclass(frozen=True)
class Quota:
    """At most ``max_bytes`` of uploads per member in any ``window``."""

    max_bytes: int
    window: timedelta

    @classmethod
    def from_config(cls, config) -> "Quota":
        return cls(int(config["EVIDENCE_QUOTA_BYTES"]),
                   timedelta(seconds=int(config["EVIDENCE_QUOTA_WINDOW"])))


def _amount(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"


def _period(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    hours = seconds / 3600
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def record_upload(session: Session, project: Project, user: User, sha256: str, size: int,
                  *, quota: Quota, now: datetime) -> EvidenceUpload:
    """Record that *user* stored *size* bytes as evidence for *project*, or
    refuse (nothing recorded) if that takes them over *quota*. The caller
    keeps the file only if this returns."""
    since = now - quota.window
    used = int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(EvidenceUpload.size), 0))
                              .where(EvidenceUpload.uploader_id == user.id,
                                     EvidenceUpload.uploaded_at > since)) or 0)
    if used + size > quota.max_bytes:
        raise Invalid(
            f"Each member may upload at most {_amount(quota.max_bytes)} of evidence in "
            f"{_period(quota.window)}; you have uploaded {_amount(used)}, and this file "
            f"({_amount(size)}) would go over. Link to the file instead (an evidence link), "
            f"or upload it later: uploads older than {_period(quota.window)} stop counting.",
            field="evidence_file")
    upload = EvidenceUpload(sha256=sha256, size=size, project_id=project.id,
                            uploader_id=user.id, uploaded_at=now)
    session.add(upload)
    session.flush()
    return upload


@dataclass
class Pruned:
    removed: list[tuple[str, int]] = field(default_factory=list)  # (name, bytes)
    kept: int = 0

    @property
    def removed_bytes(self) -> int:
        return sum(size for _, size in self.removed)


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def prune_evidence(session: Session, root: Path, *, grace: timedelta, now: datetime,
                   dry_run: bool = False) -> Pruned:
    """Remove from *root* every evidence file that no journal entry names and
    that nobody uploaded in the *grace* period before *now* (a file with no
    upload row, stored before uploads were recorded, goes by its
    modification time), and leftovers of uploads that never finished.
    With *dry_run*, only say what would go."""
    cutoff = now - grace
    named = set(session.scalars(sa.select(EvidenceFile.sha256).distinct()))
    last_upload = dict(session.execute(
        sa.select(EvidenceUpload.sha256, sa.func.max(EvidenceUpload.uploaded_at))
        .group_by(EvidenceUpload.sha256)).all())
    pruned = Pruned()
    if not root.is_dir():
        return pruned
    candidates = [path for path in root.glob(_STAGED + "*") if path.is_file()]
    for path in sorted(root.glob("??/*")):
        if path.is_file() and evidence.path_for(root, path.name) == path:
            if path.name in named:
                pruned.kept += 1
            else:
                candidates.append(path)
    for path in candidates:
        try:
            when = last_upload.get(path.name) or _modified(path)
            if when > cutoff:
                pruned.kept += 1
                continue
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:  # another run, or a finished upload, took it
            continue
        pruned.removed.append((path.name, size))
    return pruned
