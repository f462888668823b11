"""Verify a pool's journal as a project's is verified: recompute the hash
chain from the first entry (``journal_rules.verify_chain``), then fold
what the journal says into the pool's state (what is available, whether
it is closed, which iterations each round published, which rounds were
settled) and compare it with the stored rows."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import journal_rules
from commons.pools.journal import subject
from commons.pools.models import Pool, PoolEntry, PoolHead, PoolIteration, PoolRound


@dataclass(frozen=True)
class PoolVerification:
    entries: int
    head: tuple[int, str]
    bad_seq: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


@dataclass
class _Said:
    """What the journal says of the pool, folded entry by entry."""

    available: Decimal | None = None
    closed: bool = False
    iterations: set[tuple[int, int]] | None = None
    settled: set[int] | None = None
    last_seq: int = 0


def verify_pool(session: Session, pool: Pool) -> PoolVerification:
    """Walk *pool*'s journal; the first entry that is not what its chain
    or the pool's stored state says, if any."""
    said = _Said(iterations=set(), settled=set())

    def fold(seq: int, action: str, document: dict[str, Any]) -> str | None:
        data = document.get("data")
        if not isinstance(data, dict):
            return "its data is not a JSON object"
        said.last_seq = seq
        try:
            if action == "pool_created":
                said.available = Decimal(data["available"])
            elif action == "availability_changed":
                if said.available != Decimal(data["from"]):
                    return (f"it changes availability from {data['from']}, but the journal "
                            f"had {said.available}")
                said.available = Decimal(data["to"])
            elif action == "pool_closed":
                said.closed = True
            elif action == "iteration_closed":
                assert said.iterations is not None
                said.iterations.add((int(data["round"]), int(data["iteration"])))
            elif action == "round_settled":
                assert said.settled is not None
                said.settled.add(int(data["round"]))
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return f"its data cannot be applied ({error!r})"
        return None

    rows = session.execute(
        sa.select(PoolEntry.seq, PoolEntry.at, User.username, PoolEntry.action,
                  PoolEntry.payload, PoolEntry.prev_hash, PoolEntry.hash)
        .outerjoin(User, User.id == PoolEntry.actor_id)
        .where(PoolEntry.pool_id == pool.id).order_by(PoolEntry.seq))
    stored_head = session.get(PoolHead, pool.id)
    head = (stored_head.seq, stored_head.hash) if stored_head else (0, journal_rules.GENESIS)
    count, bad, problem = journal_rules.verify_chain(
        subject(pool.id), ((*row, None) for row in rows), head, fold)
    if bad is None:
        if mismatch := _compare(session, pool, said):
            bad, problem = said.last_seq, mismatch
    return PoolVerification(count, head, bad, problem)


def _compare(session: Session, pool: Pool, said: _Said) -> str | None:
    """What the stored pool says that its journal does not, or None."""
    if said.available != pool.available:
        return (f"the pool stores {pool.available} available, its journal says "
                f"{said.available}")
    if said.closed != (pool.closed_at is not None):
        return "the pool's closed state differs from its journal"
    published = {(number, iteration) for number, iteration in session.execute(
        sa.select(PoolRound.number, PoolIteration.iteration)
        .join(PoolRound, PoolRound.id == PoolIteration.round_id)
        .where(PoolRound.pool_id == pool.id))}
    if published != said.iterations:
        return "the iterations published differ from the closes its journal records"
    settled = set(session.scalars(sa.select(PoolRound.number).where(
        PoolRound.pool_id == pool.id, PoolRound.status == PoolRound.ALLOCATED)))
    if settled != said.settled:
        return "the rounds allocated differ from the settlements its journal records"
    return None
