"""Recording notifications: one bulk insert per event, inside the sender's
transaction. Nothing is rendered or sent here; mails follow after the
commit (``commons.notifications.delivery``)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commons import jobs, signals
from commons.governance.models import Proposal
from commons.notifications import rules
from commons.notifications.models import Notification, NotificationSettings, ProjectWatch
from commons.projects.models import Project

DELIVER = "notifications.deliver"
# Bound parameters per IN (...) list: well below every database's limit.
CHUNK = 5000


def notify_many(session: Session, project: Project, user_ids: Iterable[int], event: str, *,
                proposal: Proposal | None = None, text: str, url: str, now: datetime,
                affected_ids: frozenset[int] | set[int] = frozenset(),
                key: str | None = None) -> int:
    """Record a notice of *event* for each person in *user_ids*, each by the
    channel their preferences choose (``rules.channel``), in one insert
    that skips whoever has it already (same *key*: by default the event,
    the proposal and its revision). *url* is a path on the site. Mails go
    out after the commit; an inbox-only notice is delivered here (the
    ``notification_delivered`` signal, channel "inbox"). Returns how many
    were new."""
    if event not in rules.EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    ids = sorted({int(user_id) for user_id in user_ids})
    if not ids:
        return 0
    if key is None:
        key = (f"{event}:{proposal.id}:{proposal.revision}" if proposal is not None
               else f"{event}:{project.id}:{now.isoformat()}")
    modes = _modes(session, ids)
    levels = dict(session.execute(sa.select(ProjectWatch.user_id, ProjectWatch.level).where(
        ProjectWatch.project_id == project.id)).all())
    rows: list[dict[str, Any]] = []
    for user_id in ids:
        mode, muted = modes.get(user_id, ("default", frozenset()))
        channel = rules.channel(mode, levels.get(user_id, "default"), muted, event,
                                user_id in affected_ids)
        rows.append({"user_id": user_id, "project_id": project.id,
                     "proposal_id": proposal.id if proposal is not None else None,
                     "event": event, "key": key, "text": text[:2000], "url": url,
                     "channel": channel, "created_at": now,
                     "delivered_at": now if channel == rules.INBOX else None})
    inserted = _insert(session, rows)
    mails = [id_ for id_, channel in inserted if channel == rules.MAIL]
    if mails:
        jobs.enqueue_after_commit(session, DELIVER, ids=mails)
    inbox = [id_ for id_, channel in inserted if channel == rules.INBOX]
    if inbox and signals.notification_delivered.receivers:
        _announce(session, inbox, now)
    return len(inserted)


def _modes(session: Session, ids: list[int]) -> dict[int, tuple[str, frozenset[str]]]:
    """Each person's (mode, muted kinds), for those who chose any."""
    column = NotificationSettings.user_id
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter, rather than thousands.
        matches = [column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(
            sa.Integer)))]
    else:
        matches = [column.in_(ids[start:start + CHUNK]) for start in range(0, len(ids), CHUNK)]
    found: dict[int, tuple[str, frozenset[str]]] = {}
    for match in matches:
        for user_id, mode, muted in session.execute(
                sa.select(column, NotificationSettings.mode, NotificationSettings.muted)
                .where(match)):
            found[user_id] = (mode, frozenset(muted or ()))
    return found


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert *rows* (one event: only the person, the channel and when it
    was delivered differ), skipping those whose (user, key) exists; the
    (id, channel) of each new one. One statement, after a flush of pending
    ORM changes."""
    session.flush()
    table = Notification.__table__
    if session.get_bind().dialect.name == "postgresql":
        # The rows as two arrays: psycopg would otherwise parse a statement
        # of 12 parameters per row, slower than the insert itself.
        first = rows[0]
        result = session.execute(sa.text(
            "INSERT INTO notifications (user_id, project_id, proposal_id, event, key, text, "
            "url, channel, created_at, delivered_at) "
            "SELECT person.user_id, :project_id, :proposal_id, :event, :key, :text, :url, "
            "person.channel, :created_at, "
            "CASE WHEN person.channel = :inbox THEN :created_at END "
            "FROM unnest(:user_ids, :channels) AS person(user_id, channel) "
            "ON CONFLICT (user_id, key) DO NOTHING RETURNING id, channel").bindparams(
                sa.bindparam("user_ids", type_=postgresql.ARRAY(sa.Integer)),
                sa.bindparam("channels", type_=postgresql.ARRAY(sa.String)),
                sa.bindparam("proposal_id", type_=sa.Integer),
                sa.bindparam("created_at", type_=table.c.created_at.type)),
            {"user_ids": [row["user_id"] for row in rows],
             "channels": [row["channel"] for row in rows], "inbox": rules.INBOX,
             **{name: first[name] for name in ("project_id", "proposal_id", "event", "key",
                                               "text", "url", "created_at")}})
        return [(row.id, row.channel) for row in result]
    statement = sqlite.insert(table).on_conflict_do_nothing(
        index_elements=["user_id", "key"]).returning(table.c.id, table.c.channel)
    result = session.connection().execute(statement, rows)
    return [(row.id, row.channel) for row in result]


def _announce(session: Session, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), CHUNK):
        for notification in session.scalars(sa.select(Notification).where(
                Notification.id.in_(ids[start:start + CHUNK]))):
            signals.notification_delivered.send(notification, session=session,
                                                channel=rules.INBOX, at=now)
