"""Reading proposals: one or a list, who has standing and how the stances
count, what asks for someone's attention, which commits undecided merges
pin."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import User
from commons.governance import rules
from commons.governance.models import AffectedParty, Proposal, Stance
from commons.problems import NotFound
from commons.projects.models import Membership, Project


def get_proposal(session: Session, project: Project, number: int) -> Proposal:
    proposal = session.scalar(
        sa.select(Proposal).where(Proposal.project_id == project.id, Proposal.number == number)
        .options(selectinload(Proposal.stances).selectinload(Stance.user),
                 selectinload(Proposal.affected), selectinload(Proposal.events),
                 selectinload(Proposal.comments)))
    if proposal is None:
        raise NotFound(f"{project.name} has no proposal #{number}.")
    return proposal


def list_proposals(session: Session, project: Project, status: str | None = None,
                   limit: int = 100) -> list[Proposal]:
    statement = sa.select(Proposal).where(Proposal.project_id == project.id)
    if status:
        statement = statement.where(Proposal.status == status)
    return list(session.scalars(statement.order_by(Proposal.number.desc()).limit(limit)))


def standing(session: Session, proposal: Proposal) -> set[int]:
    """Who may take a stance: the project's members and the parties the
    proposal affects, member or not."""
    return set(proposal_state(proposal, members_of(session, proposal.project_id)).standing)


def standing_and_tally(session: Session, proposal: Proposal) -> tuple[set[int], rules.Tally]:
    """Who has standing and how the current stances count, in one query."""
    state = proposal_state(proposal, members_of(session, proposal.project_id))
    return set(state.standing), rules.tally(state, stance_values(proposal))


def current_tally(session: Session, proposal: Proposal) -> rules.Tally:
    return rules.tally(proposal_state(proposal, members_of(session, proposal.project_id)),
                       stance_values(proposal))


def members_of(session: Session, project_id: int) -> set[int]:
    """Ids of the project's members."""
    return set(session.scalars(sa.select(Membership.user_id).where(
        Membership.project_id == project_id, Membership.status == Membership.MEMBER)))


def proposal_state(proposal: Proposal, members: set[int]) -> rules.ProposalState:
    """The proposal as the pure rules see it (open, as they decide it)."""
    affected = {party.user_id for party in proposal.affected if party.user_id is not None}
    return rules.ProposalState(rules.OPEN, proposal.voting, proposal.closes_at,
                               proposal.revision, len(members), frozenset(members | affected))


def stance_values(proposal: Proposal) -> list[rules.StanceValue]:
    return [rules.StanceValue(s.user_id, s.stance, s.revision) for s in proposal.stances]


def inbox(session: Session, user: User, now: datetime) -> dict[str, list[Proposal]]:
    """What asks for *user*'s attention: proposals that affect them, ones
    closing within a day without their stance, and the outcomes of theirs."""
    affecting = list(session.scalars(
        sa.select(Proposal).join(AffectedParty).where(
            AffectedParty.user_id == user.id, Proposal.status == rules.OPEN)
        .order_by(Proposal.closes_at)))
    member_of = sa.select(Membership.project_id).where(
        Membership.user_id == user.id, Membership.status == Membership.MEMBER)
    # A stance on an earlier revision answers nothing: the content changed.
    answered = sa.exists().where(Stance.proposal_id == Proposal.id, Stance.user_id == user.id,
                                 Stance.revision == Proposal.revision)
    closing = list(session.scalars(
        sa.select(Proposal).where(Proposal.status == rules.OPEN,
                                  Proposal.project_id.in_(member_of),
                                  Proposal.closes_at <= now + timedelta(hours=24),
                                  ~answered)
        .order_by(Proposal.closes_at)))
    outcomes = list(session.scalars(
        sa.select(Proposal).where(Proposal.author_id == user.id,
                                  Proposal.status.in_([rules.PASSED, rules.BLOCKED, rules.FAILED]))
        .order_by(Proposal.decided_at.desc()).limit(50)))
    return {"affecting": affecting, "closing": closing, "outcomes": outcomes}


def pinned_commits(session: Session, project: Project) -> set[str]:
    """The commits undecided merge proposals of *project* would merge: the
    repository must keep them even when no branch holds them any more."""
    proposals = session.scalars(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "merge",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED])))
    return {head for proposal in proposals if (head := proposal.details.get("head"))}


def proposed_branches(session: Session, project: Project) -> dict[str, tuple[int, str | None]]:
    """Branch -> (number, author's username) of each undecided (open or
    blocked) merge proposal of *project*; the username is None once the
    author's account is gone. Pushes to these branches are checked against
    it (commons.git.rules.protection_refusal)."""
    rows = session.execute(
        sa.select(Proposal.number, Proposal.details, User.username)
        .outerjoin(User, User.id == Proposal.author_id)
        .where(Proposal.project_id == project.id, Proposal.kind == "merge",
               Proposal.status.in_([rules.OPEN, rules.BLOCKED]))
        .order_by(Proposal.number))
    found: dict[str, tuple[int, str | None]] = {}
    for number, details, username in rows:
        if branch := (details or {}).get("branch"):
            found.setdefault(str(branch), (number, username))
    return found
