"""How the contributor records follow the other domains: they keep their
tallies as commits are indexed and journal entries appended, and the
trusted mailmap as the default branch moves."""

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.contributions import services
from commons.git.indexing import CommitInfo
from commons.ledger.models import LedgerEntry
from commons.projects.models import Project


def connect_reactions() -> None:
    """Connect the contributor records' receivers (idempotent: blinker keeps
    one connection per receiver, however often the app is created)."""
    signals.commits_indexed.connect(count_commits, weak=False)
    signals.entry_appended.connect(count_ledger_entry, weak=False)
    signals.refs_moved.connect(refresh_mailmap, weak=False)


def count_commits(session: Session, project_id: int, commits: list[CommitInfo]) -> None:
    """Add a batch of newly indexed commits to the tallies, in the indexing
    transaction (the project's lock is held, so tallies never race)."""
    services.count_commits(session, project_id, commits)


def count_ledger_entry(project: Project, session: Session, entry: LedgerEntry,
                       data: dict) -> None:
    """Keep deliveries and the ledger tallies as an entry is appended, in
    the appending transaction."""
    services.count_ledger_entry(session, project, entry, data)


def refresh_mailmap(project: Project, *, session: Session, moved: dict[str, str],
                    pusher: User | None, path: Path, now: datetime) -> None:
    """A push or a decision that moves the default branch may change its
    .mailmap."""
    if f"refs/heads/{project.default_branch}" in moved:
        services.refresh_mailmap(session, project, path)
