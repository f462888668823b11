"""Push records: indexing the commits a push brought, and telling the other
domains its refs moved. Pushes are recorded from git's reflogs by
``commons.git.reconcile``; ``record_push`` records one directly (the demo,
tests)."""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git.indexing import index_commits
from commons.git.models import Push, PushCommit, PushedRef
from commons.git.pktline import RefUpdate
from commons.projects.models import Project
from commons.signals import refs_moved, send_after_commit


def lock_project(session: Session, project_id: int) -> None:
    """Serialise indexing per project: a row lock on PostgreSQL, taken before
    anything is written (FOR NO KEY UPDATE, so rows that merely reference the
    project are not blocked); SQLite serialises writers by itself."""
    session.execute(sa.select(Project.id).where(Project.id == project_id)
                    .with_for_update(key_share=True))


def lock_for_indexing(session: Session, project_id: int) -> None:
    """The project's lock, and on SQLite the database's write lock at once
    (a write is what takes it), so what is read next is what the previous
    holder left."""
    lock_project(session, project_id)
    session.execute(sa.update(Project).where(Project.id == project_id)
                    .values(default_branch=Project.default_branch))


def record_push(session: Session, project: Project, pusher: User | None,
                updates: list[RefUpdate], path: Path, now: datetime) -> Push:
    """Record who pushed what (committed at once, so a commit that cannot be
    indexed never loses the record), then index the commits it brought and
    tell the other domains the refs moved. Commits the session."""
    push = Push(project_id=project.id, user=pusher, pushed_at=now)
    push.ref_updates = [PushedRef(ref=u.ref, old_sha=u.old, new_sha=u.new) for u in updates]
    session.add(push)
    session.commit()
    finish_push(session, push.id, path, now)
    return push


def finish_push(session: Session, push_id: int, path: Path, now: datetime) -> bool:
    """Index the commits push *push_id* brought (each new commit belongs to
    the first push indexed that brought it), tell the other domains its
    refs moved, then mark it indexed; False when it was already. Run again
    after a crash, it indexes nothing twice and announces again, which the
    receivers take in their stride (they are idempotent). Commits."""
    push = session.get(Push, push_id)
    if push is None or push.indexed_at is not None:
        return False
    project_id = push.project_id
    lock_for_indexing(session, project_id)
    session.refresh(push)
    if push.indexed_at is not None:
        session.rollback()
        return False
    moved = {u.ref: u.new_sha for u in push.ref_updates}
    new = index_commits(session, project_id, path,
                        [sha for sha in moved.values() if set(sha) != {"0"}])
    if new:
        session.execute(sa.insert(PushCommit), [{"push_id": push_id, "sha": sha} for sha in new])
    session.commit()
    project = session.get_one(Project, project_id)
    # What others do about it cannot undo the push: it is recorded.
    send_after_commit(refs_moved, session, project, moved=moved,
                      pusher=session.get_one(Push, push_id).user, path=path, now=now)
    session.execute(sa.update(Push).where(Push.id == push_id, Push.indexed_at.is_(None))
                    .values(indexed_at=now))  # the clock is read once, by the caller
    session.commit()
    return True
