"""Recording accepted pushes and indexing the commits they bring."""

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


def read_push_log(path: Path) -> list[RefUpdate]:
    """The ref updates git's post-receive hook wrote: those that landed."""
    try:
        text = path.read_text("utf-8", "replace")
    except FileNotFoundError:
        return []
    updates = []
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            updates.append(RefUpdate(*parts))
    return updates


def lock_project(session: Session, project_id: int) -> None:
    """Serialise indexing per project: a row lock on PostgreSQL, taken before
    anything is written (FOR NO KEY UPDATE, so rows that merely reference the
    project are not blocked); SQLite serialises writers by itself."""
    session.execute(sa.select(Project.id).where(Project.id == project_id)
                    .with_for_update(key_share=True))


def record_push(session: Session, project: Project, pusher: User | None,
                updates: list[RefUpdate], path: Path, now: datetime) -> Push:
    """Record who pushed what (committed at once, so a commit that cannot be
    indexed never loses the record), then index the commits it brought;
    then tell the other domains the refs moved. Commits the session."""
    push = Push(project_id=project.id, user=pusher, pushed_at=now)
    push.ref_updates = [PushedRef(ref=u.ref, old_sha=u.old, new_sha=u.new) for u in updates]
    session.add(push)
    session.commit()
    lock_project(session, project.id)
    # On SQLite the first write of the transaction takes the write lock, so
    # the tips read next are the ones the previous push left.
    session.execute(sa.update(Project).where(Project.id == project.id)
                    .values(default_branch=Project.default_branch))
    new = index_commits(session, project.id, path, [u.new for u in updates if not u.is_delete])
    if new:
        session.execute(sa.insert(PushCommit), [{"push_id": push.id, "sha": sha} for sha in new])
    push.indexed_at = now  # the clock is read once, by the caller
    session.commit()
    # What others do about it cannot undo the push: it is recorded.
    send_after_commit(refs_moved, session, project, moved={u.ref: u.new for u in updates},
                      pusher=pusher, path=path, now=now)
    return push
