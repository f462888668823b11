"""Notifications, one row per person per event, and how each person wants
to hear of them: a mail mode, kinds of mail turned off, and per-project
watch or ignore."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.extensions import db
from commons.governance.models import Proposal
from commons.projects.models import Project
from commons.types import UTCDateTime


class Notification(db.Model):
    """Something a person should hear of. *key* names the event once (the
    proposal, its revision, the comment...), so a signal or a job that runs
    twice records nothing twice. *channel* is how it reaches them, decided
    when it is recorded: "mail" (its own mail), "digest" (the daily digest)
    or "inbox" (no mail: the entry is the notice). *delivered_at* is when it
    went out (at once for "inbox")."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        # The header's unread count and the inbox, for one person.
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        # The digest asks which are waiting for it.
        sa.Index("ix_notifications_channel_delivered", "channel", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(120))
    text: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str] = mapped_column(sa.String(2000))
    channel: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    proposal: Mapped[Proposal | None] = relationship()


class NotificationSettings(db.Model):
    """A person's mail mode ("default", "immediately", "digest", "none")
    and the kinds of mail they turned off (unsubscribe links). No row: the
    defaults."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16), default="default")
    muted: Mapped[list] = mapped_column(sa.JSON, default=list)


class ProjectWatch(db.Model):
    """A person's choice for one project: "watch" (mail at once) or
    "ignore" (no mail; the inbox still lists). No row: "default"."""

    __tablename__ = "project_watches"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"),
                                            primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(8))
