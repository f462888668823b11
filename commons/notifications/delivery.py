"""Delivering notifications by mail, off the request path: the mails of
notices whose channel is "mail" (one each, threaded per proposal), and each
person's daily digest. Each notice is claimed by a conditional update
before its mail is queued, so a job run twice sends nothing twice; the mail
itself goes out after the job's commit (``commons.mail``)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from commons import mail, signals, urls
from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.governance.models import Proposal
from commons.notifications import rules
from commons.notifications.models import Notification
from commons.notifications.unsubscribe import make_token
from commons.projects.models import Project


@dataclass(frozen=True)
class Settings:
    """What delivery reads from the configuration."""

    base_url: str
    secret: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Settings":
        return cls(urls.base_url(config), str(config["SECRET_KEY"]))

    def link(self, path: str) -> str:
        return self.base_url + path

    def unsubscribe(self, user_id: int, kind: str) -> str:
        return self.link(f"/notifications/unsubscribe/{make_token(self.secret, user_id, kind)}")


def address_of(user: User) -> str | None:
    """Where *user*'s mail goes: their primary confirmed address, or None."""
    return accounts.deliverable_address(user)


def deliver(session: Session, ids: list[int], settings: Settings, now: datetime) -> int:
    """Queue one mail for each of the notices *ids* still undelivered by
    mail whose person has an address; returns how many. Flushes."""
    rows = session.execute(
        sa.select(Notification, User, Proposal.number)
        .join(User, User.id == Notification.user_id)
        .outerjoin(Proposal, Proposal.id == Notification.proposal_id)
        .where(Notification.id.in_(ids), Notification.channel == rules.MAIL,
               Notification.delivered_at.is_(None))
        .options(selectinload(User.emails), joinedload(Notification.project))).all()
    addressed = {notification.id: (notification, address, number)
                 for notification, user, number in rows
                 if (address := address_of(user)) is not None}
    claimed = _claim(session, list(addressed), now)
    for notification_id in sorted(claimed):
        notification, address, number = addressed[notification_id]
        project = notification.project
        mail.send(session, to=address, subject=_subject(project, notification.text),
                  template="notifications/notice",
                  context={"notification": notification, "project": project,
                           "link": settings.link(notification.url),
                           "kind": rules.EVENTS[notification.event].label,
                           "settings_link": settings.link("/settings/notifications")},
                  thread=f"proposal-{project.id}-{number}" if number is not None else None,
                  unsubscribe=settings.unsubscribe(notification.user_id, notification.event))
        signals.notification_delivered.send(notification, session=session,
                                            channel=rules.MAIL, at=now)
    session.flush()
    return len(claimed)


def digest_recipients(session: Session, now: datetime) -> list[int]:
    """Ids of the people with notices waiting for their digest."""
    return list(session.scalars(
        sa.select(Notification.user_id).where(Notification.channel == rules.DIGEST,
                                              Notification.delivered_at.is_(None),
                                              Notification.created_at <= now)
        .distinct().order_by(Notification.user_id)))


def send_digest(session: Session, user_id: int, settings: Settings, now: datetime) -> int:
    """Queue *user_id*'s digest: one mail with every notice waiting for it
    (those read in the inbox meanwhile included, marked so). Returns how
    many notices it holds; none without an address. Flushes."""
    user = session.get(User, user_id)
    address = address_of(user) if user is not None else None
    if user is None or address is None:
        return 0
    waiting = list(session.scalars(sa.select(Notification.id).where(
        Notification.user_id == user_id, Notification.channel == rules.DIGEST,
        Notification.delivered_at.is_(None), Notification.created_at <= now)))
    claimed = _claim(session, waiting, now)
    if not claimed:
        return 0
    notices = list(session.scalars(
        sa.select(Notification).where(Notification.id.in_(claimed))
        .options(joinedload(Notification.project)).order_by(Notification.id)))
    groups: dict[str, list[Notification]] = {}
    for notice in notices:
        groups.setdefault(notice.project.name, []).append(notice)
    mail.send(session, to=address,
              subject=f"commons: {_count(len(notices))} since your last digest",
              template="notifications/digest",
              context={"user": user, "groups": groups, "link": settings.link,
                       "inbox_link": settings.link("/inbox"),
                       "settings_link": settings.link("/settings/notifications")},
              unsubscribe=settings.unsubscribe(user_id, rules.DIGEST))
    for notice in notices:
        signals.notification_delivered.send(notice, session=session, channel=rules.DIGEST,
                                            at=now)
    session.flush()
    return len(notices)


def _claim(session: Session, ids: list[int], now: datetime) -> set[int]:
    """Mark the still-undelivered notices among *ids* delivered; the ids
    this call marked (a concurrent run gets the others)."""
    if not ids:
        return set()
    result = session.execute(
        sa.update(Notification).where(Notification.id.in_(ids),
                                      Notification.delivered_at.is_(None))
        .values(delivered_at=now).returning(Notification.id)
        .execution_options(synchronize_session=False))
    claimed = set(result.scalars())
    for notification in session.identity_map.values():
        if isinstance(notification, Notification) and notification.id in claimed:
            session.expire(notification, ["delivered_at"])
    return claimed


def _subject(project: Project, text: str) -> str:
    subject = f"[{project.name}] {text}"
    return subject if len(subject) <= 200 else subject[:199] + "…"


def _count(n: int) -> str:
    return f"{n} notice" if n == 1 else f"{n} notices"
