"""People, their email addresses and their personal access tokens."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.extensions import db
from commons.types import UTCDateTime


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # Server defaults (session_version) are not fetched back on INSERT;
    # they are read when needed.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(39), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Part of every session's id; raising it ends every session (and every
    # copy of a session cookie) of the account. Set by the database and read
    # only where sessions are started and checked (sessions.py), so code and
    # data that know nothing of sessions neither write nor load it.
    session_version: Mapped[int] = mapped_column(server_default="0", deferred=True)

    emails: Mapped[list["Email"]] = relationship(
        back_populates="user", order_by="Email.id", cascade="all, delete-orphan"
    )
    tokens: Mapped[list["AccessToken"]] = relationship(
        back_populates="user", order_by="AccessToken.id", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """What Flask-Login keeps in the session (and a remember cookie):
        the id and the session version, so both must still match."""
        return f"{self.id}:{self.session_version}"

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].address if self.emails else None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Email(db.Model):
    """An address of a person; it maps commit authors to the person, so it
    belongs to one account only."""

    __tablename__ = "emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Stored lowercased, so the unique index is case-insensitive.
    address: Mapped[str] = mapped_column(sa.String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="emails")


class AccessToken(db.Model):
    """A personal access token. Only its SHA-256 is stored; the token itself
    is shown once, when it is created."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, so a person can tell their tokens apart.
    hint: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > now
        )
