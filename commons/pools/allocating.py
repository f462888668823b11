"""Writing a settled round's allocation: pledges from the pool's steward to
each project's inputs, in each project's journal, linked to the round; then
the round is allocated and the pool's journal says so.

It runs after the close that settled the round, as the job
``pools.allocate`` (and the minute's sweep, in case that job was lost): a
pledge goes through the ordinary ledger path with everything that follows
it, so 500 of them take seconds, which an iteration's close must not wait
for. Each project is claimed by its allocation row under the project's
journal head (unique per round and project), and committed in batches of
BATCH projects, so any number of writers at once write each project's
pledges once and never hold 500 journals at a time. Nothing here reaches governance, so the
`allocation` proposal kind can use it."""

import logging
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.models import Proposal
from commons.governance.rules import PASSED
from commons.ledger import recurring
from commons.ledger import rules as ledger_rules
from commons.ledger.journal import hold_journal
from commons.ledger.models import Input
from commons.ledger.supply import pledge
from commons.pools import rules
from commons.pools.journal import append_pool_entry, hold_pool_journal
from commons.pools.models import (
    Pool,
    PoolAllocation,
    PoolIteration,
    PoolRequest,
    PoolRound,
)
from commons.projects.models import Project

ALLOCATE = "pools.allocate"
# Projects written per transaction: a commit each would cost a sync each;
# all at once would hold every journal head for the whole run.
BATCH = 20


log = logging.getLogger(__name__)


def ready_to_allocate(session: Session) -> list[int]:
    """Ids of rounds settling whose allocation is decided: by the pool's
    rule at the last close, or by a passed allocation proposal."""
    return list(session.scalars(
        sa.select(PoolRound.id).outerjoin(Proposal, Proposal.id == PoolRound.proposal_id)
        .where(PoolRound.status == PoolRound.SETTLING,
               sa.or_(PoolRound.proposal_id.is_(None), Proposal.status == PASSED))
        .order_by(PoolRound.id)))


def decided_allocation(session: Session, round_: PoolRound
                       ) -> tuple[dict[int, Decimal], str] | None:
    """({project id: quantity}, how it was decided) for a settling round,
    or None while its allocation proposal is undecided: the last close's
    shares (the requests in full when demand fit, else the proportional
    cut), or what the passed proposal listed."""
    if round_.proposal_id is not None:
        proposal = session.get(Proposal, round_.proposal_id)
        if proposal is None or proposal.status != PASSED:
            return None
        return ({int(pid): Decimal(q) for pid, q in proposal.details["allocation"].items()},
                f"by proposal #{proposal.number} of {proposal.project.name}")
    last = session.scalar(sa.select(PoolIteration).where(
        PoolIteration.round_id == round_.id, PoolIteration.iteration == round_.iteration))
    if last is None:
        return None
    how = ("requests met in full" if rules.demand_fits(last.requested, last.available)
           else rules.PROPORTIONAL)
    return {int(pid): Decimal(q) for pid, q in last.shares.items()}, how


def allocate_round(session: Session, round_id: int, now: datetime) -> int:
    """Write the pledges of every project of a settled round not written
    yet, BATCH projects a transaction, then mark the round allocated.
    Commits. How many projects this call wrote."""
    round_ = session.get(PoolRound, round_id)
    if round_ is None or round_.status != PoolRound.SETTLING:
        return 0
    decided = decided_allocation(session, round_)
    if decided is None:
        return 0
    allocation, how = decided
    pool = round_.pool
    pledger = pledger_of(pool, round_)
    note = (f"Allocated from the pool “{pool.title}” (#{pool.id}), round {round_.number}, "
            f"{how}.")[:2000]
    requests = list(session.scalars(sa.select(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.iteration == round_.iteration,
        PoolRequest.withdrawn.is_(False)).order_by(PoolRequest.project_id)))
    projects = {p.id: p for p in session.scalars(sa.select(Project).where(
        Project.id.in_([r.project_id for r in requests])))}
    done = set(session.scalars(sa.select(PoolAllocation.project_id).where(
        PoolAllocation.round_id == round_.id)))
    session.commit()
    written = pending = 0
    for request in requests:
        if request.project_id in done:
            continue
        try:
            if allocate_project(session, round_, projects[request.project_id], request,
                                allocation.get(request.project_id, Decimal(0)), pledger,
                                note, now):
                pending += 1
            if pending == BATCH:
                session.commit()
                written, pending = written + pending, 0
        except IntegrityError:
            # Another writer wrote a row of this batch first (its head lock
            # normally makes this one wait and skip): the batch is undone,
            # and the next run (the minute's sweep) writes what is missing.
            session.rollback()
            pending = 0
    session.commit()
    written += pending
    finish_round(session, round_.id, allocation, how, now)
    session.commit()
    return written


def allocate_ready(session: Session, now: datetime) -> int:
    """Write every decided allocation not written yet (the sweep's part:
    a lost ``pools.allocate`` job is made up here). Commits."""
    written = 0
    for round_id in ready_to_allocate(session):
        try:
            written += allocate_round(session, round_id, now)
        except Exception:
            # As for closes: logged, retried at the next sweep, and no
            # reason for the other rounds to wait.
            session.rollback()
            log.exception("writing the allocation of pool round %s failed", round_id)
    return written


def allocate_project(session: Session, round_: PoolRound, project: Project,
                     request: PoolRequest, part: Decimal, pledger: User, note: str,
                     now: datetime) -> PoolAllocation | None:
    """Claim and write one project's allocation under its journal head:
    *part* split across the inputs its request named, in the order named,
    each up to what it still needs, each part an ordinary pledge marked
    with the round. None if another writer claimed it first."""
    hold_journal(session, project)
    if session.scalar(sa.select(PoolAllocation.id).where(
            PoolAllocation.round_id == round_.id,
            PoolAllocation.project_id == project.id)) is not None:
        return None
    written = []
    if part > 0:
        needs = {need.number: need for need in session.scalars(sa.select(Input).where(
            Input.project_id == project.id, Input.number.in_(request.input_numbers))
            .execution_options(populate_existing=True))}
        # A recurring need takes what the months through this one still need.
        seen = {number: recurring.as_of(need, now.date()) for number, need in needs.items()}
        still = [(number, seen[number].still_needed
                  if number in seen and ledger_rules.is_open(seen[number].closed,
                                                             seen[number].still_needed)
                  else Decimal(0))
                 for number in request.input_numbers]
        parts, _ = rules.split_across_inputs(part, still)
        for number, quantity in parts:
            row = pledge(session, project, pledger, number, ledger_rules.text(quantity), note,
                         now=now)
            row.pool_round_id = round_.id
            written.append({"input": number, "seq": row.seq,
                            "quantity": ledger_rules.text(quantity)})
    allocated = PoolAllocation(round_id=round_.id, project_id=project.id, quantity=part,
                               pledges=written)
    session.add(allocated)
    session.flush()
    return allocated


def finish_round(session: Session, round_id: int, allocation: dict[int, Decimal], how: str,
                 now: datetime) -> bool:
    """Once every requesting project's allocation is written, mark the
    round allocated and record it in the pool's journal, once (under the
    pool's head). What the inputs no longer needed (others pledged
    meanwhile) stays unpledged, and the entry says how much."""
    round_ = session.get_one(PoolRound, round_id)
    pool = session.get_one(Pool, round_.pool_id)
    held = hold_pool_journal(session, pool)
    session.refresh(round_)
    if round_.status != PoolRound.SETTLING:
        return False
    rows = list(session.scalars(sa.select(PoolAllocation).where(
        PoolAllocation.round_id == round_.id)))
    standing = session.scalar(sa.select(sa.func.count()).select_from(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.iteration == round_.iteration,
        PoolRequest.withdrawn.is_(False)))
    if len(rows) < (standing or 0):
        return False  # a writer is still at it; it finishes
    unpledged = {str(row.project_id): ledger_rules.text(left) for row in rows
                 if (left := row.quantity - sum((Decimal(p["quantity"]) for p in row.pledges),
                                                Decimal(0))) > 0}
    round_.status, round_.settled_at, round_.iteration_closes_at = \
        PoolRound.ALLOCATED, now, None
    append_pool_entry(session, pool, held, None, "round_settled", {
        "round": round_.number, "how": how, "proposal": round_.proposal_id,
        "allocation": {str(pid): ledger_rules.text(q) for pid, q in sorted(allocation.items())},
        "unpledged": unpledged}, now)
    session.flush()
    return True


def pledger_of(pool: Pool, round_: PoolRound) -> User:
    """Who the pledges are from: the steward, or for a stewarding project
    the member who opened the round on its behalf."""
    pledger = pool.steward_user or round_.opened_by or pool.created_by
    if pledger is None:
        raise ValueError(f"pool {pool.id} has nobody left to pledge on its behalf")
    return pledger
