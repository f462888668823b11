"""The value rules a project adopted, one row per version, and the periods
a passed distribution closed (confirmations of their hours stand then)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commons.extensions import db
from commons.types import UTCDateTime


class RecognitionRule(db.Model):
    """A version of a project's recognition rule, adopted by a policy
    proposal: a weight per kind of work (the work categories, as decimal
    text) and whether the worker's rating of how onerous the work was (1–3)
    multiplies it. A version applies to work done from its adoption on;
    with no row, every weight is 1 and ratings do not count."""

    __tablename__ = "recognition_rules"
    __table_args__ = (sa.UniqueConstraint("project_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(sa.Integer)
    weights: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    onerous_multiplies: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL"))


class ClosedPeriod(db.Model):
    """A month ("YYYY-MM") whose hours a passed distribution shared out:
    confirmations of work done in it can no longer be withdrawn."""

    __tablename__ = "recognition_closed_periods"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The distribution (its journal entry's seq) that closed it.
    distribution_seq: Mapped[int | None] = mapped_column(sa.Integer)
