"""Undo work done outside the database when the transaction it belongs to
does not commit (a repository created for a project row, say).

A service registers the undo with ``on_rollback(session, action)``. If the
transaction commits, the action is forgotten; if it ends any other way
(rollback, failed commit, or the session closed at the end of a request),
the action runs.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "commons.on_rollback"


def on_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run *action* if the current transaction of *session* does not commit."""
    session.info.setdefault(_KEY, []).append(action)


@event.listens_for(Session, "after_commit")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _undo(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    for action in reversed(session.info.pop(_KEY, [])):
        action()
