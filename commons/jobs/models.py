"""Jobs that failed for good (every retry spent), kept for the people who
run the site: `flask --app commons jobs failed` and /admin/jobs."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commons.extensions import db
from commons.types import UTCDateTime


class JobFailure(db.Model):
    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(100), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(64))
    arguments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when someone put it back on the queue or dismissed it.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolution: Mapped[str | None] = mapped_column(sa.String(20))
