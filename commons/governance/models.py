"""Proposals, the stances people take on them, comments, the parties a
proposal affects, and each proposal's timeline."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.projects.models import Project
from commons.types import UTCDateTime


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "number"),
        # Deciding on read asks one question: which open proposals are due?
        sa.Index("ix_proposals_due", "project_id", "status", "closes_at"),
        sa.Index("ix_proposals_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    voting: Mapped[str] = mapped_column(sa.String(16), default="consensus")
    revision: Mapped[int] = mapped_column(sa.Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the kind needs: {"branch", "head"} for a merge, {"username"} for
    # a membership, {"license"}, or the policy fields to change.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # What happened when it was carried out, or why it could not be.
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    affected_complete: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    project: Mapped[Project] = relationship()
    author: Mapped[User | None] = relationship()
    stances: Mapped[list["Stance"]] = relationship(
        back_populates="proposal", order_by="Stance.id", cascade="all, delete-orphan")
    affected: Mapped[list["AffectedParty"]] = relationship(
        order_by="AffectedParty.weight.desc()", cascade="all, delete-orphan")
    events: Mapped[list["TimelineEvent"]] = relationship(
        order_by="TimelineEvent.id", cascade="all, delete-orphan")
    comments: Mapped[list["Comment"]] = relationship(
        order_by="Comment.id", cascade="all, delete-orphan")


class Stance(db.Model):
    """A person's current stance; taken on one revision (a later revision
    makes it stale)."""

    __tablename__ = "stances"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    stance: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    revision: Mapped[int] = mapped_column(sa.Integer)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="stances")
    user: Mapped[User] = relationship()


class AffectedParty(db.Model):
    """Someone the proposal affects: for a merge, an author of lines it
    changes; for a licence change, anyone whose commits are in the
    repository. Unmapped identities keep their name, with user empty."""

    __tablename__ = "affected_parties"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(255))
    reason: Mapped[str] = mapped_column(sa.String(255))
    weight: Mapped[int] = mapped_column(sa.Integer, default=0)

    user: Mapped[User | None] = relationship()


class Comment(db.Model):
    """A non-binding comment: anyone logged in may add one."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class TimelineEvent(db.Model):
    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)

    actor: Mapped[User | None] = relationship()
