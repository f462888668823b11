"""The API's own tables: the Idempotency-Keys callers sent and the answers
they got (commons.api.idempotency)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commons.extensions import db
from commons.types import UTCDateTime

MAX_KEY_LENGTH = 255


class IdempotencyKey(db.Model):
    """One key an account sent with an API POST, and the answer it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    # sha256 of the method, path, query, content type and body.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set in the transaction of the view's writes: something was saved.
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The answer; None while the request is in flight.
    status: Mapped[int | None] = mapped_column(sa.Integer)
    headers: Mapped[str | None] = mapped_column(sa.Text)  # JSON object
    body: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
