"""Deciding what is due: each proposal whose window has closed is claimed
once, decided by the pure rules, and what passed is carried out by its kind
(``governance.kinds``). Each decision that changes something is its own
transaction."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons import jobs, metrics, signals
from commons.governance import kinds, notice_rules, rules
from commons.governance.closing import DECIDE, not_before
from commons.governance.effects import EffectError
from commons.governance.models import Proposal, TimelineEvent
from commons.governance.notices import gate_values
from commons.governance.queries import members_of, proposal_state, stance_values
from commons.governance.settings import Settings
from commons.jobs import schedule_after_commit
from commons.projects.models import Project

log = logging.getLogger(__name__)


def due(session: Session, now: datetime, project_id: int | None = None) -> list[int]:
    """Ids of open proposals whose window has closed (one indexed query)."""
    statement = sa.select(Proposal.id).where(Proposal.status == rules.OPEN,
                                             Proposal.closes_at <= now)
    if project_id is not None:
        statement = statement.where(Proposal.project_id == project_id)
    return list(session.scalars(statement.order_by(Proposal.closes_at)))


@dataclass(frozen=True)
class Decision:
    """What deciding did to one proposal."""

    proposal_id: int
    project_id: int
    number: int
    kind: str
    status: str
    voting: str
    outcome: str


def decide_due(session: Session, settings: Settings, now: datetime,
               project_id: int | None = None, batch: int = 500) -> list[Decision]:
    """Decide every due proposal and carry out what passed. Commits.

    Each proposal is claimed with a conditional update (still open, same
    revision) in the transaction that carries it out, so any number of
    deciders at once (worker jobs, the sweep, `governance tick`, in as many
    processes) apply it once; an effect cut short rolls its claim back with
    it, for the next decider to try again. Decisions with nothing to carry out
    (blocked ones, passed free-text decisions) are claimed a batch at a time;
    the others one by one, each committed right after its effect."""
    decided: list[Decision] = []
    members: dict[int, set[int]] = {}
    windows: dict[int, int] = {}
    ids = due(session, now, project_id)
    for start in range(0, len(ids), batch):
        chunk = session.scalars(
            sa.select(Proposal).where(Proposal.id.in_(ids[start:start + batch]))
            .options(selectinload(Proposal.stances), selectinload(Proposal.affected),
                     selectinload(Proposal.outside_stances))
            .order_by(Proposal.closes_at, Proposal.id)).all()
        quiet: list[tuple[Proposal, str, rules.Tally]] = []
        notices = gate_values(session, [p.id for p in chunk])
        for proposal in chunk:
            if proposal.status != rules.OPEN:
                continue
            if proposal.project_id not in members:
                members[proposal.project_id] = members_of(session, proposal.project_id)
            state = proposal_state(proposal, members[proposal.project_id])
            outcome = rules.decide(state, stance_values(proposal), now)
            if outcome is None:
                continue
            if outcome == rules.PASSED and proposal.voting == rules.CONSENSUS:
                # Silence counts only from people who were told (notice_rules).
                window = timedelta(seconds=_review_window(session, proposal, windows))
                gate = notice_rules.gate(notices.get(proposal.id, []), window, now)
                if gate.state != notice_rules.READY:
                    _postpone(session, proposal, gate, now)
                    continue
            count = rules.tally(state, stance_values(proposal))
            if outcome == rules.BLOCKED or kinds.lookup(proposal.kind).carry_out is None:
                quiet.append((proposal, outcome, count))
            elif decision := _decide_one(session, proposal, count, settings, now):
                decided.append(decision)
        decided += _settle(session, quiet, now)
        session.commit()
    carried_out(decided)
    return decided


def _review_window(session: Session, proposal: Proposal, windows: dict[int, int]) -> int:
    if proposal.project_id not in windows:
        windows[proposal.project_id] = session.scalar(
            sa.select(Project.review_window).where(Project.id == proposal.project_id)) or 0
    return windows[proposal.project_id]


def _postpone(session: Session, proposal: Proposal, gate: notice_rules.Gate,
              now: datetime) -> None:
    """Move a quiet proposal's close to when notice lets silence count,
    claimed like a decision (still open, same revision, same close), so
    deciders at once move it once, with one timeline event and one job."""
    assert gate.closes_at is not None
    moved = session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        sa.update(Proposal).where(Proposal.id == proposal.id,
                                  Proposal.revision == proposal.revision,
                                  Proposal.status == rules.OPEN,
                                  Proposal.closes_at == proposal.closes_at)
        .values(closes_at=gate.closes_at).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        return  # changed by someone else meanwhile
    session.add(TimelineEvent(proposal_id=proposal.id, at=now,
                              text=notice_rules.postponed_because(gate)))
    session.expire(proposal)
    schedule_after_commit(session, DECIDE, not_before(gate.closes_at), proposal_id=proposal.id)


def carried_out(decided: list[Decision]) -> None:
    """The one place that hears of every decision once it is committed,
    whoever made it (the worker, `governance tick`): metrics count here
    (``commons.metrics.decisions_carried_out``)."""
    metrics.count_decisions(decided)
    for decision in decided:
        log.info("decided proposal %d (#%d in project %d, %s): %s", decision.proposal_id,
                 decision.number, decision.project_id, decision.kind, decision.status)


def _claim(session: Session, pairs: list[tuple[int, int]], status: str, outcome: str,
           now: datetime) -> set[int]:
    """Move still-open proposals (id, revision) to *status*; the ids moved."""
    if not pairs:
        return set()
    result = session.execute(
        sa.update(Proposal).where(sa.tuple_(Proposal.id, Proposal.revision).in_(pairs),
                                  Proposal.status == rules.OPEN)
        .values(status=status, decided_at=now, outcome=outcome)
        .returning(Proposal.id).execution_options(synchronize_session=False))
    return set(result.scalars())


def _settle(session: Session, quiet: list[tuple[Proposal, str, rules.Tally]],
            now: datetime) -> list[Decision]:
    """Decide, a batch at a time, proposals with nothing to carry out."""
    decided: list[Decision] = []
    events: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], list[tuple[Proposal, rules.Tally]]] = {}
    for proposal, outcome, count in quiet:
        groups.setdefault((outcome, _quiet_outcome(proposal, outcome)), []).append(
            (proposal, count))
    for (status, outcome), members in groups.items():
        claimed = _claim(session, [(p.id, p.revision) for p, _ in members], status, outcome, now)
        for proposal, count in members:
            if proposal.id not in claimed:
                continue  # decided by someone else meanwhile
            events.append({"proposal_id": proposal.id, "at": now, "actor_id": None,
                           "text": _event_text(status, count, outcome)})
            decided.append(Decision(proposal.id, proposal.project_id, proposal.number,
                                    proposal.kind, status, proposal.voting, outcome))
    if events:
        session.execute(sa.insert(TimelineEvent), events)
    for proposal, _, _ in quiet:
        session.expire(proposal)  # its status and outcome are read again
    for decision in decided:
        proposal = session.get_one(Proposal, decision.proposal_id)
        signals.proposal_decided.send(proposal.project, session=session, proposal=proposal,
                                      now=now)
    return decided


def _decide_one(session: Session, proposal: Proposal, count: rules.Tally, settings: Settings,
                now: datetime) -> Decision | None:
    """Claim one passed proposal, carry it out, and commit."""
    project = session.get_one(Project, proposal.project_id)
    kind = kinds.lookup(proposal.kind)
    if kind.before_claim is not None:
        kind.before_claim(session, project)
    if not _claim(session, [(proposal.id, proposal.revision)], rules.PASSED, "", now):
        session.rollback()
        return None
    session.expire(proposal)
    try:
        outcome = _carry_out(session, proposal, project, settings, now)
        status = rules.PASSED
        text = _event_text(status, count, outcome)
    except EffectError as error:
        status, outcome = rules.FAILED, str(error)
        text = f"Passed ({_summary(count)}) but could not be carried out: {error}"
    proposal.status, proposal.outcome = status, outcome
    session.add(TimelineEvent(proposal_id=proposal.id, at=now, text=text))
    session.flush()
    signals.proposal_decided.send(project, session=session, proposal=proposal, now=now)
    session.commit()
    if (proposal.result or {}).get("merge_commit") or (proposal.result or {}).get("commit"):
        # A merge or licence commit moved a branch (the default one, or the
        # target of an outside proposal), as a push would: its reflog entry
        # is recorded, indexed and announced the way a push's is.
        jobs.enqueue("git.reconcile", project_id=project.id)
    return Decision(proposal.id, proposal.project_id, proposal.number, proposal.kind, status,
                    proposal.voting, outcome)


def _carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
               now: datetime) -> str:
    """Apply what *proposal* decided; raise EffectError if it cannot be."""
    carry_out = kinds.lookup(proposal.kind).carry_out
    if carry_out is None:
        return "Decided."
    return carry_out(session, proposal, project, settings, now)


def _quiet_outcome(proposal: Proposal, status: str) -> str:
    if status == rules.PASSED:
        return "Decided."
    return ("A standing objection blocks it." if proposal.voting == rules.CONSENSUS
            else "The vote did not carry.")


def _summary(count: rules.Tally) -> str:
    return f"{count.supports} support, {count.abstentions} abstain, {count.objections} object"


def _event_text(status: str, count: rules.Tally, outcome: str) -> str:
    if status == rules.BLOCKED:
        return (f"Blocked ({_summary(count)}). {outcome} It can be revised, withdrawn, "
                "or put to a vote.")
    return f"Passed ({_summary(count)}). {outcome}"
