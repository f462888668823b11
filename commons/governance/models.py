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
        # Deciding asks one question: which open proposals are due?
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
    outside_stances: Mapped[list["OutsideStance"]] = relationship(
        order_by="OutsideStance.id", cascade="all, delete-orphan")


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
    # Line comments carrying this objection's reason beside the lines it cites.
    cited_lines: Mapped[list["Comment"]] = relationship(back_populates="stance")


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
    """A non-binding comment: anyone logged in may add one. A line comment
    also names a line of a merge proposal's diff (*path*, *side* "old" or
    "new", *line*) and the commits it was written on; one that cites a
    line for an objection links to that stance (line_rules has the rules)."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # --- line comments (all empty on a comment about the whole proposal)
    path: Mapped[str | None] = mapped_column(sa.String(4096))
    side: Mapped[str | None] = mapped_column(sa.String(3))
    line: Mapped[int | None] = mapped_column(sa.Integer)
    # The head and base the line is counted in; a revision that leaves the
    # line alone moves them (and the line) forward.
    head: Mapped[str | None] = mapped_column(sa.String(64))
    base: Mapped[str | None] = mapped_column(sa.String(64))
    outdated: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                           server_default=sa.false())
    stance_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stances.id", ondelete="SET NULL"), index=True)

    user: Mapped[User | None] = relationship()
    stance: Mapped[Stance | None] = relationship(back_populates="cited_lines")

    @property
    def is_line_comment(self) -> bool:
        return self.path is not None

    @property
    def is_objection(self) -> bool:
        """Whether it still stands for an objection: the stance it was
        written with has not been withdrawn or changed since."""
        return self.stance is not None and self.stance.stance == "object"


class TimelineEvent(db.Model):
    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    # The line comment this event tells of, so the timeline links its line.
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal_comments.id", ondelete="CASCADE"))

    actor: Mapped[User | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


class ProposalNotice(db.Model):
    """That one party with standing was told of a proposal, and when: an
    account holder (*user*) by the inbox, someone without an account
    (*email*) by one mail. *undeliverable* says why nobody could be told
    (their silence then gates nothing); otherwise *sent_at* is empty until
    the notice went out (``governance.notice_rules``)."""

    __tablename__ = "proposal_notices"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "user_id", name="uq_proposal_notices_user"),
        sa.UniqueConstraint("proposal_id", "email", name="uq_proposal_notices_email"),
        # The rate limit counts one address's mails of the last day.
        sa.Index("ix_proposal_notices_email_mailed_at", "email", "mailed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # handed to the mail queue
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable: Mapped[str | None] = mapped_column(sa.String(255))

    user: Mapped[User | None] = relationship()


class OutsideStance(db.Model):
    """The stance of an affected person without an account, taken through
    the signed link of their notice mail: it counts like a member's."""

    __tablename__ = "outside_stances"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    stance: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    revision: Mapped[int] = mapped_column(sa.Integer)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticeOptOut(db.Model):
    """An address that asked for no more notice mails from one project."""

    __tablename__ = "notice_opt_outs"
    __table_args__ = (sa.UniqueConstraint("project_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
