"""What every kind of proposal provides: how its details are read and
checked when it is opened, and what carrying it out changes. Each kind
lives in its own module here; the registry is in ``__init__``."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git.pushes import lock_project
from commons.git.repositories import Identity
from commons.governance.models import AffectedParty, Proposal
from commons.governance.settings import Settings
from commons.problems import Forbidden
from commons.projects.models import Project

# A proposal's kind fields as stored (JSON): plain strings, numbers, lists.
Details = dict[str, Any]


@dataclass
class Opened:
    """A kind's checked details and the parties the proposal affects
    (*complete*: whether all of them could be worked out)."""

    details: Details
    affected: list[AffectedParty] = field(default_factory=list)
    complete: bool = True


# Check what the author sent and turn it into the details the proposal keeps.
ReadDetails = Callable[[Session, Project, User, Details, Settings], Opened]
# Refuse (Forbidden) an author who may not open this kind.
MayOpen = Callable[[Project, User, Details], None]
# A check that must run under the project lock, so two openings cannot both pass it.
UnderLock = Callable[[Session, Project, Details, Settings], None]
# Make the change a passed proposal decided; return the outcome, or raise EffectError.
CarryOut = Callable[[Session, Proposal, Project, Settings, datetime], str]
# Take what carrying out will need, in the order every writer takes it (no deadlock).
BeforeClaim = Callable[[Session, Project], None]
# Undo what opening started when the author withdraws the proposal.
AuthorWithdrew = Callable[[Session, Proposal], None]


def members_open(project: Project, author: User, details: Details) -> None:
    """Most kinds: only members open proposals."""
    if not project.is_member(author):
        raise Forbidden(f"Only members of {project.name} open proposals. Join it first.")


@dataclass(frozen=True)
class Kind:
    """One kind of proposal. Only *name* and *read_details* are required."""

    name: str
    read_details: ReadDetails
    # None: passing it changes nothing, so it is decided a batch at a time.
    carry_out: CarryOut | None = None
    may_open: MayOpen = members_open
    check_under_lock: UnderLock | None = None
    before_claim: BeforeClaim | None = None
    author_withdrew: AuthorWithdrew | None = None


def hold_repository(session: Session, project: Project) -> None:
    """Before claiming a proposal whose effect commits to the project's
    repository: decisions move its branches one at a time (the project
    lock a push takes too). Two deciders merging into the same branch at
    once would each find it moved under them and fail the second."""
    lock_project(session, project.id)


def commit_identity(proposal: Proposal, settings: Settings) -> Identity:
    """Who a commit a decision makes is by (its author): the proposal's
    author, or the platform when the account is gone. The platform
    (*settings.committer*) is always its committer; the commits a merge
    brings keep their own authors."""
    author = proposal.author
    if author is None:
        return settings.committer
    return Identity(author.username, author.primary_email or "unknown@commons.invalid")
