"""Reading proposals: one or a list, who has standing and how the stances
count, what asks for someone's attention, which commits undecided merges
pin."""

from datetime import datetime

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
                 # A licence change may affect hundreds: their accounts in one query.
                 selectinload(Proposal.affected).selectinload(AffectedParty.user),
                 selectinload(Proposal.events),
                 selectinload(Proposal.comments), selectinload(Proposal.outside_stances)))
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
    return {who for who in proposal_state(proposal, members_of(session, proposal.project_id))
            .standing if isinstance(who, int)}


def standing_and_tally(session: Session, proposal: Proposal) -> tuple[set[int], rules.Tally]:
    """Who has standing and how the current stances count, in one query."""
    state = proposal_state(proposal, members_of(session, proposal.project_id))
    return ({who for who in state.standing if isinstance(who, int)},
            rules.tally(state, stance_values(proposal)))


def current_tally(session: Session, proposal: Proposal) -> rules.Tally:
    return rules.tally(proposal_state(proposal, members_of(session, proposal.project_id)),
                       stance_values(proposal))


def members_of(session: Session, project_id: int) -> set[int]:
    """Ids of the project's members."""
    return set(session.scalars(sa.select(Membership.user_id).where(
        Membership.project_id == project_id, Membership.status == Membership.MEMBER)))


def proposal_state(proposal: Proposal, members: set[int]) -> rules.ProposalState:
    """The proposal as the pure rules see it (open, as they decide it)."""
    affected: set[int | str] = {party.user_id if party.user_id is not None
                                else outside_address(party.email) for party in proposal.affected}
    return rules.ProposalState(rules.OPEN, proposal.voting, proposal.closes_at,
                               proposal.revision, len(members), frozenset(members | affected))


def outside_address(email: str) -> str:
    """How an affected person without an account is known: their commit
    address, in lower case (notices, opt-outs and stances all use it)."""
    return email.strip().lower()


def stance_values(proposal: Proposal) -> list[rules.StanceValue]:
    """Every stance, members' and those taken without an account alike."""
    return ([rules.StanceValue(s.user_id, s.stance, s.revision) for s in proposal.stances]
            + [rules.StanceValue(s.email, s.stance, s.revision)
               for s in proposal.outside_stances])


def waiting_for_stance(session: Session, user: User, now: datetime) -> list[Proposal]:
    """Every open proposal still in its window on which *user* has standing
    (a member of its project, or a party it affects) and no stance on its
    current revision, closing first."""
    member_of = sa.select(Membership.project_id).where(
        Membership.user_id == user.id, Membership.status == Membership.MEMBER)
    affecting = sa.select(AffectedParty.proposal_id).where(AffectedParty.user_id == user.id)
    answered = sa.exists().where(Stance.proposal_id == Proposal.id, Stance.user_id == user.id,
                                 Stance.revision == Proposal.revision)
    return list(session.scalars(
        sa.select(Proposal).where(Proposal.status == rules.OPEN, Proposal.closes_at > now,
                                  sa.or_(Proposal.project_id.in_(member_of),
                                         Proposal.id.in_(affecting)),
                                  ~answered)
        .options(selectinload(Proposal.project))
        .order_by(Proposal.closes_at, Proposal.id).limit(500)))


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
