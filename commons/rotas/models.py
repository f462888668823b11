"""A rota, who opted in, its turns and the swaps asked for. Not ledger
rows: a rota only plans work; a done turn's hours are an ordinary work
entry in the project's journal (``RotaTurn.work_seq``)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.types import DecimalText, UTCDateTime


class Rota(db.Model):
    """A recurring task: every *every_days* days from *starts_on*, about
    *hours* of one kind of work."""

    __tablename__ = "rotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(16))
    every_days: Mapped[int] = mapped_column(sa.Integer)
    hours: Mapped[Decimal] = mapped_column(DecimalText)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()


class RotaMember(db.Model):
    """Someone who opted in; opting out deletes the row (their done turns
    stay, their upcoming ones go to the others)."""

    __tablename__ = "rota_members"

    rota_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rotas.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    opted_in_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RotaTurn(db.Model):
    """Turn *number* of a rota (its day follows from the rota), who holds it
    and, once done, the work entry (seq) that logged its hours."""

    __tablename__ = "rota_turns"
    __table_args__ = (sa.UniqueConstraint("rota_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(sa.ForeignKey("rotas.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    due_on: Mapped[date] = mapped_column(sa.Date)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Holders agreed to it (a confirmed swap): the rule no longer moves it
    # when people opt in or out.
    agreed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours: Mapped[Decimal | None] = mapped_column(DecimalText)
    work_seq: Mapped[int | None] = mapped_column(sa.Integer)

    user: Mapped[User | None] = relationship()


class RotaSwap(db.Model):
    """The holder of a turn asks another opted-in member to take it, or to
    swap it with one of theirs (*other_turn*). It takes effect only when
    the one asked confirms; either may cancel before that."""

    __tablename__ = "rota_swaps"

    ASKED, CONFIRMED, CANCELLED = "asked", "confirmed", "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rotas.id", ondelete="CASCADE"), index=True)
    turn_id: Mapped[int] = mapped_column(sa.ForeignKey("rota_turns.id", ondelete="CASCADE"))
    other_turn_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rota_turns.id", ondelete="CASCADE"))
    asked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    asked_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default=ASKED)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    turn: Mapped[RotaTurn] = relationship(foreign_keys=[turn_id])
    other_turn: Mapped[RotaTurn | None] = relationship(foreign_keys=[other_turn_id])
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    asked_to: Mapped[User | None] = relationship(foreign_keys=[asked_to_id])
