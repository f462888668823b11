"""Closing an iteration: publish what was available, requested in total,
the excess demand ratio and each project's indicative share; then carry
the standing requests into the next iteration, or settle the round after
the last one (or early, when demand fits).

Each close is claimed once: the pool's journal head is held, the round is
read again, and a conditional UPDATE (still open, still this iteration)
moves it on, as deciding claims a proposal; so any number of closers at
once (the minute's job in several workers, `governance tick`) close it
once."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
from commons.pools import rules
from commons.pools.journal import append_pool_entry, hold_pool_journal
from commons.pools.models import Pool, PoolIteration, PoolRequest, PoolRound
from commons.pools.settling import settle_round

log = logging.getLogger(__name__)


def due(session: Session, now: datetime) -> list[tuple[int, int, int]]:
    """(round id, pool id, iteration) of every open round whose current
    iteration's time is up, soonest first (one indexed query)."""
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        sa.select(PoolRound.id, PoolRound.pool_id, PoolRound.iteration)
        .where(PoolRound.status == PoolRound.OPEN, PoolRound.iteration_closes_at <= now)
        .order_by(PoolRound.iteration_closes_at, PoolRound.id))]


def close_due_iterations(session: Session, now: datetime,
                         settings: Settings | None = None) -> int:
    """Close every iteration whose time is up, each in its own committed
    transaction; how many this call closed (those another closer claimed
    first are not counted). *settings* are needed to open an allocation
    proposal (pools whose contested rule is "proposal"); the job and
    `governance tick` pass them."""
    closed = 0
    for round_id, pool_id, iteration in due(session, now):
        try:
            if close_iteration(session, round_id, pool_id, iteration, now, settings):
                closed += 1
            session.commit()
        except Exception:
            # One round that cannot close must not keep every later round
            # (and `governance tick`'s decisions) waiting: it is logged and
            # tried again at the next sweep.
            session.rollback()
            log.exception("closing iteration %s of pool round %s failed", iteration, round_id)
    return closed


def close_iteration(session: Session, round_id: int, pool_id: int, iteration: int,
                    now: datetime, settings: Settings | None = None) -> bool:
    """Close *iteration* of round *round_id* if it is still due and nobody
    closed it first; True if this call closed it. Flushes, never commits."""
    pool = session.get_one(Pool, pool_id)
    held = hold_pool_journal(session, pool)
    round_ = session.scalar(sa.select(PoolRound).where(PoolRound.id == round_id)
                            .execution_options(populate_existing=True))
    if round_ is None or round_.status != PoolRound.OPEN or round_.iteration != iteration \
            or round_.iteration_closes_at is None or round_.iteration_closes_at > now:
        return False
    session.refresh(pool)  # the figure the steward set last
    requests = list(session.scalars(
        sa.select(PoolRequest).where(PoolRequest.round_id == round_.id,
                                     PoolRequest.iteration == iteration,
                                     PoolRequest.withdrawn.is_(False))
        .options(selectinload(PoolRequest.project)).order_by(PoolRequest.project_id)))
    asked = {request.project_id: request.quantity for request in requests}
    requested = sum(asked.values(), Decimal(0))
    available = pool.available
    unit = pool.unit_or_currency
    shares = rules.indicative_shares(pool.contested_rule, asked, available,
                                     ledger_rules.decimals_of(unit))
    fits = rules.demand_fits(requested, available)
    last = fits or iteration >= round_.iterations
    claimed = session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        sa.update(PoolRound).where(PoolRound.id == round_.id,
                                   PoolRound.status == PoolRound.OPEN,
                                   PoolRound.iteration == iteration)
        .values(status=PoolRound.SETTLING if last else PoolRound.OPEN,
                iteration=iteration if last else iteration + 1,
                iteration_closes_at=None if last
                else now + timedelta(seconds=round_.iteration_seconds))
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False  # closed by someone else meanwhile
    session.refresh(round_)
    note = _note(session, round_, iteration, available, unit, fits, last)
    ratio = rules.excess_demand(requested, available)
    session.add(PoolIteration(
        round_id=round_.id, iteration=iteration, available=available, requested=requested,
        ratio=ratio, closed_at=now, note=note,
        shares={str(pid): ledger_rules.text(q) for pid, q in shares.items()}))
    append_pool_entry(session, pool, held, None, "iteration_closed", {
        "round": round_.number, "iteration": iteration,
        "available": ledger_rules.text(available), "requested": ledger_rules.text(requested),
        "ratio": ledger_rules.text(ratio) if ratio is not None else None,
        "shares": {str(pid): ledger_rules.text(q) for pid, q in shares.items()},
        "note": note}, now)
    if last:
        settle_round(session, pool, round_, held, requests, now, settings)
    elif requests:
        session.execute(sa.insert(PoolRequest), [
            {"round_id": round_.id, "project_id": r.project_id, "iteration": iteration + 1,
             "quantity": r.quantity, "justification": r.justification,
             "input_numbers": r.input_numbers, "filed_by_id": r.filed_by_id,
             "filed_at": r.filed_at, "withdrawn": False} for r in requests])
    session.flush()
    log.info("closed iteration %d of round %d of pool %d: %s of %s %s requested", iteration,
             round_.number, pool.id, requested, available, unit)
    return True


def _note(session: Session, round_: PoolRound, iteration: int, available: Decimal, unit: str,
          fits: bool, last: bool) -> str:
    """What the close says beside its figures: a changed availability, and
    why the round ends here."""
    before = round_.opened_available if iteration == 1 else session.scalar(
        sa.select(PoolIteration.available).where(PoolIteration.round_id == round_.id,
                                                 PoolIteration.iteration == iteration - 1))
    said = [rules.availability_note(before if before is not None else available, available,
                                    unit)]
    if fits and iteration < round_.iterations:
        said.append("Demand fits what is available: the round ends early and every request "
                    "is met in full.")
    elif last and fits:
        said.append("Demand fits what is available: every request is met in full.")
    elif last:
        said.append("This was the last iteration: what is still contested is settled by the "
                    "pool's rule.")
    return " ".join(s for s in said if s)
