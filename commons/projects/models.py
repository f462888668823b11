"""Projects, their policies and who belongs to them."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.projects.rules import Policy, Threshold
from commons.types import DecimalText, UTCDateTime


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    license: Mapped[str] = mapped_column(sa.String(64))
    default_branch: Mapped[str] = mapped_column(sa.String(255), default="main")
    admission: Mapped[str] = mapped_column(sa.String(16), default="open")
    push_policy: Mapped[str] = mapped_column(sa.String(16), default="review")
    # "accept": anyone logged in may propose through refs/for/; "refuse": members only.
    outside: Mapped[str] = mapped_column(sa.String(16), default="accept",
                                         server_default="accept")
    review_window: Mapped[int] = mapped_column(sa.Integer)
    # Whether proposals mail the affected people who have no account (a
    # licence change always does): governance.notices.
    notify_outside_authors: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                                         server_default=sa.false())
    approval_amount: Mapped[Decimal] = mapped_column(DecimalText)
    approval_currency: Mapped[str] = mapped_column(sa.String(3))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="project", order_by="Membership.id", cascade="all, delete-orphan"
    )

    @property
    def policy(self) -> Policy:
        return Policy(
            admission=self.admission,
            push=self.push_policy,
            review_window=self.review_window,
            approval_threshold=Threshold(self.approval_amount, self.approval_currency),
            outside=self.outside,
            notify_outside_authors=self.notify_outside_authors,
        )

    @property
    def members(self) -> list[User]:
        return [m.user for m in self.memberships if m.status == Membership.MEMBER]

    def membership_of(self, user: User | None) -> "Membership | None":
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return next((m for m in self.memberships if m.user_id == user.id), None)

    def is_member(self, user: User | None) -> bool:
        membership = self.membership_of(user)
        return membership is not None and membership.status == Membership.MEMBER


class Membership(db.Model):
    """A person's place in a project: a member, or a request awaiting the
    members' consent. Leaving keeps the row, so the history stays."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)

    MEMBER = "member"
    PENDING = "pending"
    LEFT = "left"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Records payouts of expense claims; granted and removed by policy proposals.
    treasurer: Mapped[bool] = mapped_column(sa.Boolean, default=False,
                                            server_default=sa.false())

    project: Mapped[Project] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
