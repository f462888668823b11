"""Periods of recognition: a calendar month ("YYYY-MM") of the day work
was done. A passed distribution closes the month it shared out; from then
on the confirmations of that month's hours stand as they are."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.ledger.confirm_rules import period_of
from commons.recognition.models import ClosedPeriod

__all__ = ["close", "is_closed", "period_of"]


def is_closed(session: Session, project_id: int, period: str) -> bool:
    """Whether a distribution closed *period* of the project."""
    return session.scalar(sa.select(sa.literal(True)).where(
        ClosedPeriod.project_id == project_id, ClosedPeriod.period == period)) is not None


def close(session: Session, project_id: int, period: str, distribution_seq: int | None,
          now: datetime) -> ClosedPeriod:
    """Close *period* for the project, naming the distribution (its journal
    entry's seq) that shared it out. Closing a closed month keeps the first
    closing. Flushes; the caller commits."""
    row = session.get(ClosedPeriod, (project_id, period))
    if row is None:
        row = ClosedPeriod(project_id=project_id, period=period, closed_at=now,
                           distribution_seq=distribution_seq)
        session.add(row)
        session.flush()
    return row


def closed_periods(session: Session, project_id: int) -> set[str]:
    """Every closed month of the project (pages mark their entries)."""
    return set(session.scalars(sa.select(ClosedPeriod.period)
                               .where(ClosedPeriod.project_id == project_id)))


def period_closed_on(session: Session, project_id: int, day: date) -> bool:
    """Whether the month of *day* is closed for the project."""
    return is_closed(session, project_id, period_of(day))
