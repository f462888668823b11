"""Writing a round's allocation: pledges from the pool's steward to each
project's inputs, in each project's journal, linked to the round; the
round is then allocated and the pool's journal says so. Nothing here
reaches governance, so the `allocation` proposal kind can call it."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import rules as ledger_rules
from commons.ledger.journal import hold_journal
from commons.ledger.models import Input
from commons.ledger.supply import pledge
from commons.pools import rules
from commons.pools.journal import append_pool_entry
from commons.pools.models import Pool, PoolAllocation, PoolHead, PoolRequest, PoolRound


def allocate(session: Session, pool: Pool, round_: PoolRound, held: PoolHead,
             requests: list[PoolRequest], allocation: dict[int, Decimal], how: str,
             now: datetime, actor: User | None = None) -> list[PoolAllocation]:
    """Write *allocation* ({project id: quantity}): for each project, in
    project id order (the order every writer takes ledger heads in),
    pledges from the steward to the inputs its request named, in the order
    named, each up to what it still needs; then the round is allocated and
    the pool's journal says so. What the inputs no longer need (others
    pledged meanwhile) stays unpledged, and the entry says how much."""
    pledger = pledger_of(pool, round_)
    rows = []
    unpledged: dict[str, str] = {}
    note = (f"Allocated from the pool “{pool.title}” (#{pool.id}), round {round_.number}, "
            f"{how}.")[:2000]
    for request in sorted(requests, key=lambda r: r.project_id):
        part = allocation.get(request.project_id, Decimal(0))
        project = request.project
        written = []
        if part > 0:
            hold_journal(session, project)
            needs = {need.number: need for need in session.scalars(sa.select(Input).where(
                Input.project_id == project.id, Input.number.in_(request.input_numbers))
                .execution_options(populate_existing=True))}
            still = [(number, needs[number].still_needed
                      if number in needs and ledger_rules.is_open(
                          needs[number].closed, needs[number].still_needed) else Decimal(0))
                     for number in request.input_numbers]
            parts, left = rules.split_across_inputs(part, still)
            for number, quantity in parts:
                row = pledge(session, project, pledger, number, ledger_rules.text(quantity),
                             note, now=now)
                row.pool_round_id = round_.id
                written.append({"input": number, "seq": row.seq,
                                "quantity": ledger_rules.text(quantity)})
            if left > 0:
                unpledged[str(project.id)] = ledger_rules.text(left)
        rows.append(PoolAllocation(round_id=round_.id, project_id=project.id, quantity=part,
                                   pledges=written))
    session.add_all(rows)
    round_.status, round_.settled_at, round_.iteration_closes_at = \
        PoolRound.ALLOCATED, now, None
    append_pool_entry(session, pool, held, actor, "round_settled", {
        "round": round_.number, "how": how, "proposal": round_.proposal_id,
        "allocation": {str(pid): ledger_rules.text(q) for pid, q in sorted(allocation.items())},
        "unpledged": unpledged}, now)
    session.flush()
    return rows


def pledger_of(pool: Pool, round_: PoolRound) -> User:
    """Who the pledges are from: the steward, or for a stewarding project
    the member who opened the round on its behalf."""
    pledger = pool.steward_user or round_.opened_by or pool.created_by
    if pledger is None:
        raise ValueError(f"pool {pool.id} has nobody left to pledge on its behalf")
    return pledger
