"""What a project's home page shows: its open proposals (with the viewer's
stance), its open needs with their progress, and what happened lately
(pushes, decisions, ledger entries, new members). Reads only; a handful
of bounded queries, so the page costs the same with 10 proposals or
10,000."""

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from commons.accounts.models import User
from commons.git.models import Push
from commons.governance.models import Proposal, Stance
from commons.ledger import chart
from commons.ledger.models import Input, LedgerEntry
from commons.ledger.queries import open_clause
from commons.projects.models import Membership, Project

PROPOSALS = 8   # open proposals listed, soonest to close first
NEEDS = 6       # open needs listed, soonest needed first
ACTIVITY = 8    # recent events listed, newest first


@dataclass(frozen=True)
class Event:
    """One thing that happened in the project, for the activity list.
    *kind* is push, decision, ledger or member; *subject* is the Push,
    Proposal, LedgerEntry or Membership it is about."""

    at: datetime
    kind: str
    subject: object
    data: dict | None = None  # a ledger entry's data


@dataclass(frozen=True)
class Home:
    proposals: list[Proposal]
    open_proposals: int
    stances: dict[int, Stance]         # proposal id → the viewer's stance
    needs: list[Input]
    bars: dict[int, chart.Progress]    # input number → its progress bar
    open_needs: int
    activity: list[Event]
    inputs: dict[int, Input]           # inputs the activity mentions, by number


def project_home(session: Session, project: Project, viewer: User | None) -> Home:
    """Everything the home of *project* shows *viewer* (None: anonymous)
    beside its README: at most twelve queries whatever its size."""
    proposals = list(session.scalars(
        sa.select(Proposal).where(Proposal.project_id == project.id, Proposal.status == "open")
        .order_by(Proposal.closes_at, Proposal.number).limit(PROPOSALS)))
    open_proposals = len(proposals) if len(proposals) < PROPOSALS else session.scalar(
        sa.select(sa.func.count()).select_from(Proposal).where(
            Proposal.project_id == project.id, Proposal.status == "open")) or 0
    stances: dict[int, Stance] = {}
    if viewer is not None and proposals:
        stances = {stance.proposal_id: stance for stance in session.scalars(
            sa.select(Stance).where(Stance.user_id == viewer.id,
                                    Stance.proposal_id.in_([p.id for p in proposals])))}

    needs = list(session.scalars(
        sa.select(Input).where(Input.project_id == project.id, open_clause())
        .order_by(Input.needed_by.is_(None), Input.needed_by, Input.number).limit(NEEDS)))
    open_needs = len(needs) if len(needs) < NEEDS else session.scalar(
        sa.select(sa.func.count()).select_from(Input).where(
            Input.project_id == project.id, open_clause())) or 0

    activity, inputs = recent_activity(session, project)
    return Home(proposals, open_proposals, stances, needs,
                {bar.number: bar for bar in chart.progress(needs)}, open_needs, activity, inputs)


def recent_activity(session: Session, project: Project,
                    limit: int = ACTIVITY) -> tuple[list[Event], dict[int, Input]]:
    """The newest *limit* events of four kinds, newest first, and the
    inputs the ledger entries among them name. Each kind is read newest
    first and cut at *limit*, so the merge reads at most 4 × *limit* rows."""
    events: list[Event] = []
    for push in session.scalars(
            sa.select(Push).where(Push.project_id == project.id)
            .order_by(Push.pushed_at.desc(), Push.id.desc()).limit(limit)
            .options(joinedload(Push.user), selectinload(Push.ref_updates))):
        events.append(Event(push.pushed_at, "push", push))
    for proposal in session.scalars(
            sa.select(Proposal).where(Proposal.project_id == project.id,
                                      Proposal.decided_at.is_not(None))
            .order_by(Proposal.decided_at.desc()).limit(limit)):
        events.append(Event(proposal.decided_at, "decision", proposal))  # type: ignore[arg-type]
    entries = list(session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.project_id == project.id)
        .order_by(LedgerEntry.seq.desc()).limit(limit)
        .options(joinedload(LedgerEntry.actor))))
    for entry in entries:
        events.append(Event(entry.at, "ledger", entry, json.loads(entry.payload)["data"]))
    # Memberships are loaded with the project (get_project), users and all.
    for membership in project.memberships:
        if membership.status == Membership.MEMBER and membership.joined_at is not None:
            events.append(Event(membership.joined_at, "member", membership))
    events.sort(key=lambda event: event.at, reverse=True)
    events = events[:limit]
    numbers = {event.data["input"] for event in events
               if event.data and isinstance(event.data.get("input"), int)}
    inputs = {need.number: need for need in session.scalars(
        sa.select(Input).where(Input.project_id == project.id,
                               Input.number.in_(sorted(numbers))))} if numbers else {}
    return events, inputs
