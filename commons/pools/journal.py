"""A pool's journal: hold its head, append one entry chained to it. The
same canonical form and hash chain as a project's journal
(``commons.ledger.journal_rules``); the subject an entry names is
``pool/<id>``, which no project slug can be (slugs have no slash)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import journal_rules
from commons.pools.models import Pool, PoolEntry, PoolHead

ACTIONS = ("pool_created", "availability_changed", "pool_closed", "round_opened",
           "iteration_closed", "round_settled", "round_cancelled")


def subject(pool_id: int) -> str:
    """What a pool's entries name as their journal's owner."""
    return f"pool/{pool_id}"


def hold_pool_journal(session: Session, pool: Pool) -> PoolHead:
    """Hold the pool's journal head for this transaction: appends queue
    here, so the chain never forks (PostgreSQL locks the row, SQLite the
    database). Everything that changes a pool or its rounds holds it first,
    so it is also what serialises a close against a request or a change."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(PoolHead).values(pool_id=pool.id, seq=0, hash=journal_rules.GENESIS)
                    .on_conflict_do_nothing(index_elements=["pool_id"]))
    session.execute(sa.update(PoolHead).where(PoolHead.pool_id == pool.id)
                    .values(seq=PoolHead.seq).execution_options(synchronize_session=False))
    row = session.scalar(sa.select(PoolHead).where(PoolHead.pool_id == pool.id)
                         .execution_options(populate_existing=True))
    assert row is not None
    return row


def append_pool_entry(session: Session, pool: Pool, held: PoolHead, actor: User | None,
                      action: str, data: dict[str, Any], now: datetime) -> PoolEntry:
    """Append one entry chained to the *held* head and move the head to it."""
    assert action in ACTIONS, action
    seq = held.seq + 1
    document = journal_rules.document(subject(pool.id), seq, now,
                                      actor.username if actor else None, action, data)
    payload = journal_rules.canonical(document)
    entry = PoolEntry(pool_id=pool.id, seq=seq, at=now, actor_id=actor.id if actor else None,
                      action=action, payload=payload.decode("utf-8"), prev_hash=held.hash,
                      hash=journal_rules.chain(held.hash, payload))
    session.add(entry)
    held.seq, held.hash = seq, entry.hash
    return entry
