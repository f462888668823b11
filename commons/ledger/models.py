"""The journal (append-only, hash-chained) and the balances kept from it.

``LedgerEntry`` rows are the record; ``LedgerHead`` is each project's last
seq and hash (one row to lock, so appends queue and the chain never forks).
``Input``, ``Pledge`` and ``WorkLog`` are balances folded from the journal
as it grows, so pages read them in one indexed query; ``ledger verify``
rebuilds them from the journal and compares."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.types import DecimalText, UTCDateTime


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "seq"),
        # An input's history, newest first, without reading the rest.
        sa.Index("ix_ledger_entries_input", "project_id", "input_number", "seq"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No ON DELETE: an account with entries in a public record is kept.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(16))
    input_number: Mapped[int | None] = mapped_column(sa.Integer)
    # The canonical JSON that was hashed, kept byte for byte.
    payload: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship()


class EvidenceFile(db.Model):
    """Which receipt names which stored file: the evidence route serves a
    file only to the project that recorded it, in one indexed lookup."""

    __tablename__ = "ledger_evidence"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


class EvidenceUpload(db.Model):
    """Who stored which evidence file, when, and how large. The upload quota
    adds up a member's recent rows; `ledger prune-evidence` removes a file
    no receipt names once its newest upload is older than the grace period.
    Rows stay after a file is pruned: they are what its uploader spent."""

    __tablename__ = "ledger_evidence_uploads"
    __table_args__ = (
        # A member's uploads in the quota window, in one range scan.
        sa.Index("ix_ledger_evidence_uploads_uploader", "uploader_id", "uploaded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    uploader_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerHead(db.Model):
    __tablename__ = "ledger_heads"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64))
    inputs: Mapped[int] = mapped_column(sa.Integer, default=0)


class LedgerCheckpoint(db.Model):
    """The last entry a verify found intact, with its hash: ``ledger verify
    --since-last`` starts there, after checking the entry still has it."""

    __tablename__ = "ledger_checkpoints"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    hash: Mapped[str] = mapped_column(sa.String(64))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Input(db.Model):
    """An input requirement and its balance."""

    __tablename__ = "ledger_inputs"
    __table_args__ = (sa.UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    seq: Mapped[int] = mapped_column(sa.Integer)  # the entry that added it
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    resource: Mapped[str] = mapped_column(sa.String(200), index=True)
    unit: Mapped[str] = mapped_column(sa.String(8))
    needed: Mapped[Decimal] = mapped_column(DecimalText)
    unit_cost: Mapped[Decimal | None] = mapped_column(DecimalText)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    needed_by: Mapped[date | None] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    approved: Mapped[bool] = mapped_column(sa.Boolean)
    closed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    received: Mapped[Decimal] = mapped_column(DecimalText)
    consumed: Mapped[Decimal] = mapped_column(DecimalText)
    pledged: Mapped[Decimal] = mapped_column(DecimalText)  # outstanding
    # Kept with the numbers so the needs board filters in SQL.
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    still_needed: Mapped[Decimal] = mapped_column(DecimalText)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A recurring need (issue 20): "monthly", *needed* per month from the
    # month *starts* (its first day); *uncovered_from* is the first month
    # what was received and pledged does not cover, so the needs board
    # finds the needs open in a month in SQL. All three None for a need
    # needed once.
    recurs: Mapped[str | None] = mapped_column(sa.String(8))
    starts: Mapped[date | None] = mapped_column(sa.Date)
    uncovered_from: Mapped[date | None] = mapped_column(sa.Date)

    pledges: Mapped[list["Pledge"]] = relationship(order_by="Pledge.seq",
                                                   back_populates="input")


class Pledge(db.Model):
    __tablename__ = "ledger_pledges"
    __table_args__ = (sa.UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    input_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_inputs.id", ondelete="CASCADE"),
                                          index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    pledger_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    received: Mapped[Decimal] = mapped_column(DecimalText)
    withdrawn: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The pool round whose allocation this pledge carries (issue 19), if any.
    pool_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pool_rounds.id", ondelete="SET NULL"), index=True)

    input: Mapped[Input] = relationship(back_populates="pledges")
    pledger: Mapped[User | None] = relationship()


class WorkLog(db.Model):
    """Hours of work, logged as journal entries; the contributor records
    read them."""

    __tablename__ = "work_logs"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "seq"),
        sa.Index("ix_work_logs_user_date", "user_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    date: Mapped[date] = mapped_column(sa.Date)
    hours: Mapped[Decimal] = mapped_column(DecimalText)
    category: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The worker's own rating of how onerous the work was, 1 to 3 (issue 20).
    onerous: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # Another member's confirmation, from a ``work_confirm`` entry (its seq);
    # cleared again by a ``work_unconfirm`` entry.
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_seq: Mapped[int | None] = mapped_column(sa.Integer)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])


class Fund(db.Model):
    """A project's money in one currency, folded from the journal: what
    receipts of money brought in and what payouts took out."""

    __tablename__ = "ledger_funds"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    received: Mapped[Decimal] = mapped_column(DecimalText)
    paid: Mapped[Decimal] = mapped_column(DecimalText)

    @property
    def balance(self) -> Decimal:
        return self.received - self.paid


class Claim(db.Model):
    """An expense claim (numbered by its entry's seq) and, once paid, its
    payout, folded from the journal. A passed distribution's entry makes
    one claim per share: numbered by that entry's seq and the share's
    place in it (*share* 1, 2...; 0 for an expense claim), with no input."""

    __tablename__ = "ledger_claims"
    __table_args__ = (sa.UniqueConstraint("project_id", "seq", "share"),
                      # A person's claims across projects, for their page.
                      sa.Index("ix_ledger_claims_claimant", "claimant_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    input_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_inputs.id", ondelete="CASCADE"), index=True)
    share: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # The distribution entry whose fold made this claim (None: an expense).
    distribution_seq: Mapped[int | None] = mapped_column(sa.Integer)
    claimant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(16))  # pending, approved, paid
    paid_seq: Mapped[int | None] = mapped_column(sa.Integer)
    method: Mapped[str | None] = mapped_column(sa.String(40))
    reference: Mapped[str | None] = mapped_column(sa.String(200))
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    input: Mapped[Input | None] = relationship()
    claimant: Mapped[User | None] = relationship()

    @property
    def number(self) -> str:
        """How people name it: "12" (an expense claim) or "12.3" (the
        third share of distribution entry 12)."""
        return f"{self.seq}.{self.share}" if self.share else str(self.seq)
