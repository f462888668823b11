"""A person's notifications: the unread count, the lists, marking read."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from commons.accounts.models import User
from commons.notifications.models import Notification
from commons.problems import NotFound


def unread_count(session: Session, user_id: int) -> int:
    """How many of *user_id*'s notifications are unread: one indexed count,
    for the header of every page."""
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def listing(session: Session, user: User, *, unread: bool | None = None,
            before: int | None = None, limit: int = 50) -> list[Notification]:
    """*user*'s notifications, newest first; *unread* True or False keeps
    only those; *before*: ids below it (the cursor of the next page)."""
    statement = sa.select(Notification).where(Notification.user_id == user.id)
    if unread is True:
        statement = statement.where(Notification.read_at.is_(None))
    elif unread is False:
        statement = statement.where(Notification.read_at.is_not(None))
    if before is not None:
        statement = statement.where(Notification.id < before)
    return list(session.scalars(statement.options(joinedload(Notification.project), joinedload(Notification.proposal))
                                .order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user: User, notification_id: int, now: datetime) -> None:
    """Mark one of *user*'s notifications read (again: nothing changes)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("You have no such notification.")
    if notification.read_at is None:
        notification.read_at = now
    session.flush()


def mark_all_read(session: Session, user: User, now: datetime,
                  up_to: int | None = None) -> int:
    """Mark every unread notification of *user* read (those up to id
    *up_to*, if given, so what arrived after the page was shown stays
    unread). Returns how many."""
    statement = sa.update(Notification).where(Notification.user_id == user.id,
                                              Notification.read_at.is_(None))
    if up_to is not None:
        statement = statement.where(Notification.id <= up_to)
    result = session.execute(statement.values(read_at=now)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
