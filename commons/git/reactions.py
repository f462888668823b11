"""What the git domain does when other domains move a repository's refs."""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.git.indexing import index_commits
from commons.git.models import Commit
from commons.git.pushes import lock_project
from commons.projects.models import Project


def connect_reactions() -> None:
    """Connect the git domain's receivers (idempotent: blinker keeps one
    connection per receiver, however often the app is created)."""
    signals.refs_moved.connect(index_moved_commits, weak=False)


def index_moved_commits(project: Project, *, session: Session, moved: dict[str, str],
                        pusher: User | None, path: Path, now: datetime) -> None:
    """Index the new heads if the sender did not (every sender today is
    ``pushes.finish_push``, which indexes first, so this finds nothing to
    do; it keeps a future sender honest)."""
    heads = sorted({new for new in moved.values() if set(new) != {"0"}})
    known = set(session.scalars(sa.select(Commit.sha).where(
        Commit.project_id == project.id, Commit.sha.in_(heads)))) if heads else set()
    if not set(heads) - known:
        return  # an indexed commit's ancestors are indexed too
    lock_project(session, project.id)
    index_commits(session, project.id, path, heads)
