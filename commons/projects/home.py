"""What a project's home page shows: its open proposals (with the viewer's
stance), its open needs with their progress, and what happened lately
(pushes, decisions, ledger entries, new members). Reads only; a handful
of bounded queries, so the page costs the same with 10 proposals or
10,000."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git.models import Push, PushedRef
from commons.governance.models import Proposal, Stance
from commons.ledger import chart, recurring
from commons.ledger.models import Input, LedgerEntry
from commons.ledger.queries import open_clause
from commons.projects.models import Membership, Project

PROPOSALS = 8   # open proposals listed, soonest to close first
NEEDS = 6       # open needs listed, soonest needed first
ACTIVITY = 8    # recent events listed, newest first


@dataclass(frozen=True)
class Event:
    """One thing that happened in the project, for the activity list, as
    plain values. *kind* is push, decision, ledger or member."""

    at: datetime
    kind: str
    key: int | None = None        # the push's id, the proposal's number, the entry's seq
    title: str | None = None      # a decision's proposal title
    status: str | None = None     # a decision's outcome
    action: str | None = None     # a ledger entry's action
    username: str | None = None   # who pushed, wrote the entry or joined (None: gone)
    refs: tuple[str, ...] = ()    # the refs a push updated, in order
    data: dict | None = None      # a ledger entry's data

    @property
    def seq(self) -> int | None:
        """A ledger entry's number, as the journal's summary macro reads it."""
        return self.key if self.kind == "ledger" else None


@dataclass(frozen=True)
class Home:
    members: Sequence[sa.Row]          # user_id, username, status, joined_at, treasurer
    membership: sa.Row | None          # the viewer's, if any (a member, pending, or left)
    proposals: Sequence[sa.Row]        # id, number, title, kind, status, closes_at, revision
    open_proposals: int
    stances: dict[int, sa.Row]         # proposal id → the viewer's stance, revision
    needs: Sequence                    # an Input's columns the page shows, as of this month
    bars: dict[int, chart.Progress]    # input number → its progress bar
    open_needs: int
    activity: list[Event]
    inputs: dict[int, sa.Row]          # number, title, unit of inputs the activity mentions


def project_home(session: Session, project: Project, viewer: User | None,
                 today: date) -> Home:
    """Everything the home of *project* shows *viewer* (None: anonymous)
    beside its README: at most nine queries whatever its size. The project
    comes without its memberships: they are read here as plain rows. Its
    open needs are those open in *today*'s month, recurring ones as they
    stand in it."""
    # Plain rows of the columns the page shows (a Row reads like the object),
    # from statements built once (bench/README.md, "Under load").
    lists = _list_statements()
    rows = session.execute(lists.memberships, {"project_id": project.id}).all()
    membership = next((row for row in rows if row.user_id == viewer.id), None) \
        if viewer is not None else None
    members = [row for row in rows if row.status == Membership.MEMBER]
    proposals = session.execute(lists.proposals, {"project_id": project.id,
                                                  "limit": PROPOSALS}).all()
    open_proposals = len(proposals) if len(proposals) < PROPOSALS else session.scalar(
        lists.open_proposals, {"project_id": project.id}) or 0
    stances: dict[int, sa.Row] = {}
    if viewer is not None and proposals:
        stances = {stance.proposal_id: stance for stance in session.execute(
            lists.stances, {"user_id": viewer.id, "proposals": [p.id for p in proposals]})}
    needs = recurring.all_as_of(session.execute(
        lists.needs, {"project_id": project.id, "limit": NEEDS, "today": today}).all(), today)
    open_needs = len(needs) if len(needs) < NEEDS else session.scalar(
        lists.open_needs, {"project_id": project.id, "today": today}) or 0

    activity, inputs = recent_activity(session, project, members)
    return Home(members, membership, proposals, open_proposals, stances, needs,
                {bar.number: bar for bar in chart.progress(needs)}, open_needs, activity, inputs)


@dataclass(frozen=True)
class _Lists:
    memberships: sa.Select
    proposals: sa.Select
    open_proposals: sa.Select
    stances: sa.Select
    needs: sa.Select
    open_needs: sa.Select


@lru_cache(maxsize=1)
def _list_statements() -> _Lists:
    """The open proposals and needs (:limit of each, and how many there
    are) of project :project_id, and :user_id's stances on :proposals."""
    project_id: sa.BindParameter = sa.bindparam("project_id")
    limit: sa.BindParameter = sa.bindparam("limit")
    open_proposal = sa.and_(Proposal.project_id == project_id, Proposal.status == "open")
    open_need = sa.and_(Input.project_id == project_id, open_clause(sa.bindparam("today")))
    return _Lists(
        memberships=sa.select(Membership.user_id, User.username, Membership.status,
                              Membership.joined_at, Membership.treasurer)
        .join(User, User.id == Membership.user_id)
        .where(Membership.project_id == project_id).order_by(Membership.id),
        proposals=sa.select(Proposal.id, Proposal.number, Proposal.title, Proposal.kind,
                            Proposal.status, Proposal.closes_at, Proposal.revision)
        .where(open_proposal).order_by(Proposal.closes_at, Proposal.number).limit(limit),
        open_proposals=sa.select(sa.func.count()).select_from(Proposal).where(open_proposal),
        stances=sa.select(Stance.proposal_id, Stance.stance, Stance.revision)
        .where(Stance.user_id == sa.bindparam("user_id"),
               Stance.proposal_id.in_(sa.bindparam("proposals", expanding=True))),
        needs=sa.select(Input.number, Input.title, Input.status, Input.unit, Input.needed,
                        Input.pledged, Input.received, Input.still_needed, Input.needed_by,
                        Input.closed, Input.approved, Input.recurs, Input.starts)
        .where(open_need).order_by(Input.needed_by.is_(None), Input.needed_by, Input.number)
        .limit(limit),
        open_needs=sa.select(sa.func.count()).select_from(Input).where(open_need))


def recent_activity(session: Session, project: Project, members: Sequence[sa.Row],
                    limit: int = ACTIVITY) -> tuple[list[Event], dict[int, sa.Row]]:
    """The newest *limit* events of four kinds, newest first, and the
    inputs the ledger entries among them name (*members*: the project's
    members, who joined when). Each kind is read newest first and cut at
    *limit*, so the merge reads at most 4 × *limit* rows: pushes, decisions
    and ledger entries in one statement of plain rows (ORM objects cost the
    page more than the queries did: bench/README.md, "Under load"), then
    the refs of the pushes shown."""
    rows = session.execute(_activity_statement(), {"project_id": project.id, "limit": limit})
    # Each kind in its own order (newest first, then by id), then merged by
    # time with a stable sort: pushes, decisions, ledger entries, members.
    by_kind: dict[str, list] = {"push": [], "decision": [], "ledger": []}
    for row in rows:
        by_kind[row.kind].append(row)
    events: list[Event] = []
    for kind in ("push", "decision", "ledger"):
        for row in sorted(by_kind[kind], key=lambda row: (row.at, row.key), reverse=True):
            events.append(Event(
                row.at, kind, row.key, row.title, row.status, row.action, row.username,
                data=json.loads(row.payload)["data"] if kind == "ledger" else None))
    for member in members:  # project_home's rows: members only, as they joined
        if member.joined_at is not None:
            events.append(Event(member.joined_at, "member", username=member.username))
    events.sort(key=lambda event: event.at, reverse=True)
    events = events[:limit]
    pushes = [event.key for event in events if event.kind == "push"]
    if pushes:
        refs: dict[int | None, list[str]] = {}
        for push_id, ref in session.execute(_REFS, {"pushes": pushes}):
            refs.setdefault(push_id, []).append(ref)
        events = [replace(event, refs=tuple(refs.get(event.key, ())))
                  if event.kind == "push" else event for event in events]
    numbers = {event.data["input"] for event in events
               if event.data and isinstance(event.data.get("input"), int)}
    # Plain rows of what the journal's summary reads (title and unit): the
    # home of a visitor is kept, and a kept ORM object would come back detached.
    inputs = {need.number: need for need in session.execute(
        sa.select(Input.number, Input.title, Input.unit).where(
            Input.project_id == project.id, Input.number.in_(sorted(numbers))))} \
        if numbers else {}
    return events, inputs


_REFS = (sa.select(PushedRef.push_id, PushedRef.ref)
         .where(PushedRef.push_id.in_(sa.bindparam("pushes", expanding=True)))
         .order_by(PushedRef.id))


@lru_cache(maxsize=1)
def _activity_statement() -> sa.CompoundSelect:
    """The newest pushes, decisions and ledger entries of a project (at most
    :limit of each) as one UNION ALL of plain rows: kind, at, key (push id,
    proposal number, entry seq), title, status, action, username, payload.
    Built once: building it cost about as much as running it."""
    project_id: sa.BindParameter = sa.bindparam("project_id")
    limit: sa.BindParameter = sa.bindparam("limit")
    pushes = (sa.select(sa.literal("push").label("kind"), Push.pushed_at.label("at"),
                        Push.id.label("key"), sa.null().label("title"),
                        sa.null().label("status"), sa.null().label("action"),
                        User.username.label("username"), sa.null().label("payload"))
              .outerjoin(User, User.id == Push.user_id).where(Push.project_id == project_id)
              .order_by(Push.pushed_at.desc(), Push.id.desc()).limit(limit).subquery())
    decisions = (sa.select(sa.literal("decision"), Proposal.decided_at, Proposal.number,
                           Proposal.title, Proposal.status, sa.null(), sa.null(), sa.null())
                 .where(Proposal.project_id == project_id, Proposal.decided_at.is_not(None))
                 .order_by(Proposal.decided_at.desc()).limit(limit).subquery())
    entries = (sa.select(sa.literal("ledger"), LedgerEntry.at, LedgerEntry.seq, sa.null(),
                         sa.null(), LedgerEntry.action, User.username, LedgerEntry.payload)
               .outerjoin(User, User.id == LedgerEntry.actor_id)
               .where(LedgerEntry.project_id == project_id)
               .order_by(LedgerEntry.seq.desc()).limit(limit).subquery())
    return sa.union_all(sa.select(pushes), sa.select(decisions), sa.select(entries))
