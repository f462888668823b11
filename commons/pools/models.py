"""A pool, its hash-chained journal, its rounds, the requests filed in each
iteration, what each iteration's close published, and the allocation.

``PoolEntry`` rows are the pool's record, chained like a project's journal
(``commons.ledger.journal_rules``); ``PoolHead`` is the one row appends
queue on. Rounds, requests, iterations and allocations are the working
tables pages read; the journal records what changed them."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.projects.models import Project
from commons.types import DecimalText, UTCDateTime

pool_eligible_projects = sa.Table(
    "pool_eligible_projects", db.metadata,
    sa.Column("pool_id", sa.ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class Pool(db.Model):
    """A stock offered for sharing, per period or once. Money has a
    currency, a resource a ledger unit: exactly one of the two is set."""

    __tablename__ = "pools"
    __table_args__ = (
        sa.CheckConstraint("(steward_user_id IS NULL) <> (steward_project_id IS NULL)",
                           name="one_steward"),
        sa.CheckConstraint("(unit IS NULL) <> (currency IS NULL)", name="unit_or_currency"),
    )

    MONEY, RESOURCE = "money", "resource"
    ANY, LISTED = "any", "listed"
    PROPORTIONAL, PROPOSAL = "proportional", "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(8))
    unit: Mapped[str | None] = mapped_column(sa.String(8))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    available: Mapped[Decimal] = mapped_column(DecimalText)
    period: Mapped[str | None] = mapped_column(sa.String(40))
    # No ON DELETE: a steward with a public record is kept.
    steward_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    steward_project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"),
                                                           index=True)
    eligibility: Mapped[str] = mapped_column(sa.String(8))
    contested_rule: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    steward_user: Mapped[User | None] = relationship(foreign_keys=[steward_user_id])
    steward_project: Mapped[Project | None] = relationship(foreign_keys=[steward_project_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    eligible_projects: Mapped[list[Project]] = relationship(secondary=pool_eligible_projects,
                                                            order_by="Project.id")
    rounds: Mapped[list["PoolRound"]] = relationship(back_populates="pool",
                                                     order_by="PoolRound.number")

    @property
    def unit_or_currency(self) -> str:
        """What its quantities are in: the ledger unit, or the currency."""
        return self.unit or self.currency or ""


class PoolEntry(db.Model):
    """One entry of a pool's journal: canonical JSON, chained by hash."""

    __tablename__ = "pool_entries"
    __table_args__ = (sa.UniqueConstraint("pool_id", "seq"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pools.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(24))
    payload: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship()


class PoolHead(db.Model):
    __tablename__ = "pool_heads"

    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pools.id", ondelete="CASCADE"),
                                         primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))


class PoolRound(db.Model):
    """A planning round: iterations of requests, each closed and published,
    then the allocation."""

    __tablename__ = "pool_rounds"
    __table_args__ = (
        sa.UniqueConstraint("pool_id", "number"),
        # Closing asks one question: which open rounds' iterations are due?
        sa.Index("ix_pool_rounds_due", "status", "iteration_closes_at"),
    )

    OPEN, SETTLING, ALLOCATED, CANCELLED = "open", "settling", "allocated", "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("pools.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    iterations: Mapped[int] = mapped_column(sa.Integer)
    iteration_seconds: Mapped[int] = mapped_column(sa.Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The iteration requests are filed in now (1-based), and when it closes.
    iteration: Mapped[int] = mapped_column(sa.Integer, default=1)
    iteration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default=OPEN)
    # What was available when the round opened: the first close says if it changed.
    opened_available: Mapped[Decimal] = mapped_column(DecimalText)
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pool: Mapped[Pool] = relationship(back_populates="rounds")
    opened_by: Mapped[User | None] = relationship()


class PoolRequest(db.Model):
    """What one project asks in one iteration. Revising within an iteration
    updates the row; each close carries the standing rows into the next."""

    __tablename__ = "pool_requests"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "project_id", "iteration"),
        sa.Index("ix_pool_requests_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_rounds.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    iteration: Mapped[int] = mapped_column(sa.Integer)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    justification: Mapped[str] = mapped_column(sa.Text, default="")
    # The project's input numbers it would serve, in the order pledges fill them.
    input_numbers: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    filed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    project: Mapped[Project] = relationship()
    filed_by: Mapped[User | None] = relationship()


class PoolIteration(db.Model):
    """What one iteration's close published for everyone."""

    __tablename__ = "pool_iterations"
    __table_args__ = (sa.UniqueConstraint("round_id", "iteration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_rounds.id", ondelete="CASCADE"))
    iteration: Mapped[int] = mapped_column(sa.Integer)
    available: Mapped[Decimal] = mapped_column(DecimalText)
    requested: Mapped[Decimal] = mapped_column(DecimalText)
    # requested / available; None when nothing is available.
    ratio: Mapped[Decimal | None] = mapped_column(DecimalText)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {project id (as text): indicative share (decimal text)} under the pool's rule.
    shares: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.Text, default="")


class PoolAllocation(db.Model):
    """What a project receives from a round, and the pledges that carry it
    (``pledges``: [{"input": n, "seq": journal seq, "quantity": text}])."""

    __tablename__ = "pool_allocations"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "project_id"),
        sa.Index("ix_pool_allocations_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("pool_rounds.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    pledges: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)

    project: Mapped[Project] = relationship()
    round: Mapped[PoolRound] = relationship()
