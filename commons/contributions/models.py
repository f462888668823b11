"""What the contributor records keep: git tallies per commit identity (all
time and per day, kept as commits are indexed, so a page never walks the
history), deliveries of inputs per person, and the contributions members
credit with evidence (the All Contributors kinds)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.types import DecimalText, UTCDateTime


class _Tally:
    """Commit counts of one raw identity (the email and name git recorded;
    .mailmap and accounts are applied when records are read, so adding an
    email or editing .mailmap takes effect at once)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255))
    commits: Mapped[int] = mapped_column(sa.Integer, default=0)
    co_authored: Mapped[int] = mapped_column(sa.Integer, default=0)
    lines_added: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    lines_removed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GitTotal(_Tally, db.Model):
    __tablename__ = "contribution_git_totals"
    __table_args__ = (sa.UniqueConstraint("project_id", "email", "name"),)


class GitDay(_Tally, db.Model):
    """The same counts per day, for records over a recent period."""

    __tablename__ = "contribution_git_days"
    __table_args__ = (sa.UniqueConstraint("project_id", "day", "email", "name"),)

    day: Mapped[date] = mapped_column(sa.Date)


class Delivery(db.Model):
    """A receipt the ledger credits to a person (the provider had an
    account), kept as the journal is appended, corrections included."""

    __tablename__ = "contribution_deliveries"
    __table_args__ = (sa.UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    input_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_inputs.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    day: Mapped[date] = mapped_column(sa.Date)


class Credit(db.Model):
    """A contribution of an All Contributors kind, credited by a member with
    a link to the evidence."""

    __tablename__ = "contribution_credits"
    __table_args__ = (sa.Index("ix_contribution_credits_project", "project_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    evidence_url: Mapped[str] = mapped_column(sa.String(2000))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    day: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class MailmapAddress(db.Model):
    """An address the project's .mailmap maps commits to, so a person's
    profile finds the projects where only the .mailmap makes commits theirs.
    Refreshed when the default branch moves, and by a reindex."""

    __tablename__ = "contribution_mailmap_emails"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), primary_key=True, index=True)


class _LedgerTally:
    """A person's ledger contributions of one kind (see ledger_tally):
    hours per category, amounts per unit, values per currency, counts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[Decimal] = mapped_column(DecimalText)


class LedgerTotal(_LedgerTally, db.Model):
    __tablename__ = "contribution_ledger_totals"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id", "kind", "key"),)


class LedgerDay(_LedgerTally, db.Model):
    """The same per day, for records over a recent period."""

    __tablename__ = "contribution_ledger_days"
    __table_args__ = (sa.UniqueConstraint("project_id", "day", "user_id", "kind", "key"),)

    day: Mapped[date] = mapped_column(sa.Date)
