"""People, their email addresses and their personal access tokens."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
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
    # An IANA name ("Europe/Berlin") exact times are shown in; None reads as UTC.
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

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
    def primary(self) -> "Email | None":
        """Where notifications go: the confirmed address marked primary,
        else the first confirmed one; None while none is confirmed."""
        confirmed = [email for email in self.emails if email.confirmed]
        marked = [email for email in confirmed if email.is_primary]
        chosen = marked or confirmed
        return chosen[0] if chosen else None

    @property
    def primary_email(self) -> str | None:
        """The primary confirmed address, or None: an unconfirmed address
        receives nothing but its confirmation link."""
        primary = self.primary
        return primary.address if primary is not None else None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Email(db.Model):
    """An address of a person. Once confirmed (its holder opened the link
    mailed to it) it maps commit authors to the person, gives their standing
    and receives their mail, so it belongs to one account only; until then
    it is a claim that does none of that, and several accounts may hold the
    same unconfirmed claim without blocking the address's real owner."""

    __tablename__ = "emails"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "address"),
        # Stored lowercased, so these are case-insensitive.
        sa.Index("uq_emails_confirmed_address", "address", unique=True,
                 sqlite_where=sa.text("confirmed_at IS NOT NULL"),
                 postgresql_where=sa.text("confirmed_at IS NOT NULL")),
        sa.Index("uq_emails_primary", "user_id", unique=True,
                 sqlite_where=sa.text("is_primary"), postgresql_where=sa.text("is_primary")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last confirmation link was sent: only that link confirms,
    # and links are not sent more often than once a minute.
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on one confirmed address at most (the person's choice); none set,
    # the first confirmed address is the primary one (User.primary).
    is_primary: Mapped[bool] = mapped_column(server_default=sa.false(), default=False)

    user: Mapped[User] = relationship(back_populates="emails")

    @hybrid_property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @confirmed.inplace.expression
    @classmethod
    def _confirmed_expression(cls) -> sa.ColumnElement[bool]:
        return cls.confirmed_at.is_not(None)


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
