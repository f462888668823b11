"""Membership: under consent admission, joining asks the members to admit
the person who asked; passing it makes them a member."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons import signals
from commons.accounts.models import User
from commons.governance import rules
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Membership, Project


def asked_by_joiner(project: Project, author: User, details: Details) -> None:
    """Anyone may ask to be admitted, but only for themselves."""
    asked_for = str(details.get("username") or author.username).strip().lower()
    if asked_for != author.username:
        raise Forbidden("A membership proposal is asked for by the person who wants to "
                        "join (with the Join button); no one is admitted without asking.")


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    if project.admission == "open":
        raise Invalid(f"{project.name} admits whoever joins; use the Join button instead.",
                      field="username")
    username = str(details.get("username") or author.username).strip().lower()
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise Invalid(f"There is no account “{username}”.", field="username")
    if project.is_member(user):
        raise Conflict(f"{username} is already a member of {project.name}.", field="username")
    open_already = session.scalar(sa.select(Proposal.number).where(
        Proposal.project_id == project.id, Proposal.kind == "membership",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["username"].as_string() == username))
    if open_already:
        raise Conflict(f"Proposal #{open_already} already asks to admit {username}.")
    return Opened({"username": username})


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    user = session.scalar(sa.select(User).where(User.username == proposal.details["username"]))
    if user is None:
        raise EffectError("the account no longer exists")
    membership = project.membership_of(user)
    if membership is not None and membership.status == Membership.MEMBER:
        return f"{user.username} was already a member."
    if membership is not None and membership.status == Membership.LEFT \
            and membership.left_at and membership.left_at >= proposal.opened_at:
        raise EffectError(f"{user.username} withdrew the request to join.")
    if membership is None:
        membership = Membership(project=project, user=user, requested_at=now)
        session.add(membership)
    membership.status, membership.joined_at, membership.left_at = Membership.MEMBER, now, None
    session.flush()
    signals.member_joined.send(project, session=session, user=user, now=now)
    return f"{user.username} is a member."


def author_withdrew(session: Session, proposal: Proposal) -> None:
    """The request it decided is withdrawn with it, so one can ask again."""
    candidate = session.scalar(sa.select(User).where(
        User.username == proposal.details.get("username")))
    membership = session.scalar(sa.select(Membership).where(
        Membership.project_id == proposal.project_id,
        Membership.user_id == (candidate.id if candidate else -1),
        Membership.status == Membership.PENDING))
    if membership is not None:
        membership.status, membership.left_at = Membership.LEFT, proposal.decided_at


KIND = Kind("membership", read_details, carry_out, may_open=asked_by_joiner,
            author_withdrew=author_withdrew)
