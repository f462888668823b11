"""A project's webhooks, each event's delivery to each hook, and every
attempt to send it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.projects.models import Project
from commons.types import UTCDateTime


class Webhook(db.Model):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    # Kept as given: every delivery is signed with it, so it cannot be hashed.
    secret: Mapped[str] = mapped_column(sa.String(255))
    events: Mapped[str] = mapped_column(sa.String(255))  # comma-separated rules.EVENTS keys
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def event_list(self) -> list[str]:
        return [e for e in self.events.split(",") if e]


class Delivery(db.Model):
    """One event for one hook: the body, signed at each attempt with the
    hook's secret, and where its sending stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_hook_created", "hook_id", "id"),)

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

    id: Mapped[int] = mapped_column(primary_key=True)
    hook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    event: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Attempts up to this number follow by themselves; a redelivery adds one.
    last_attempt: Mapped[int] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))

    hook: Mapped[Webhook] = relationship()
    tries: Mapped[list["Attempt"]] = relationship(
        back_populates="delivery", order_by="Attempt.number", cascade="all, delete-orphan")


class Attempt(db.Model):
    """One POST of a delivery: when, how long it took, what came back."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(sa.Boolean)
    response_code: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    redelivery: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    delivery: Mapped[Delivery] = relationship(back_populates="tries")
