"""Joining and leaving a project, as the pages and the API both do it: the
membership itself (projects) and, under consent admission, the proposal the
members decide (governance)."""

# Annotations stay text: governance.services imports commons.projects (whose
# package loads its views, then this module) before it defines Settings.
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.projects import services
from commons.projects.models import Membership, Project


def join_or_ask(session: Session, project: Project, user: User,
                settings: governance.Settings, now: datetime
                ) -> tuple[Membership, Proposal | None]:
    """Join at once (open admission) or open the membership proposal the
    members decide (consent admission). Returns (membership, proposal).
    Flushes; the caller commits."""
    membership = services.join_project(session, project, user, now=now)
    if membership.status == Membership.MEMBER:
        return membership, None
    return membership, governance.request_membership(session, project, user, settings, now)


def leave_or_withdraw(session: Session, project: Project, user: User,
                      now: datetime) -> Membership:
    """Leave, or withdraw a request to join together with its proposal.
    Flushes; the caller commits."""
    membership = services.leave_project(session, project, user, now)
    if not membership.joined_at:
        governance.withdraw_membership_requests(session, project, user, now)
    return membership
