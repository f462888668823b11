"""`flask --app commons pools verify` recomputes a pool's chain and checks
the stored pool against it: tampering with an entry, the head, or the
stored figure is caught and named."""

from decimal import Decimal

import sqlalchemy as sa

from commons.extensions import db
from commons.pools import services
from commons.pools.models import Pool, PoolEntry, PoolHead


def a_recorded_pool(scene):
    pool = scene.pool(available="120")
    services.change_availability(db.session, scene.steward, pool, "100", "A machine broke.",
                                 scene.clock())
    scene.open_round(pool)
    db.session.commit()
    return pool


def verify(scene, *args):
    return scene.app.test_cli_runner().invoke(args=["pools", "verify", *map(str, args)])


def test_an_intact_pool_verifies(scene):
    pool = a_recorded_pool(scene)
    result = verify(scene, pool.id)
    assert result.exit_code == 0, result.output
    assert f"pool {pool.id}: 3 entries, chain intact, state matches." in result.output
    assert verify(scene).exit_code == 0  # every pool


def test_a_tampered_entry_is_caught(scene):
    pool = a_recorded_pool(scene)
    entry = db.session.scalar(sa.select(PoolEntry).where(PoolEntry.pool_id == pool.id,
                                                         PoolEntry.seq == 2))
    entry.payload = entry.payload.replace('"to":"100.00"', '"to":"150.00"')
    db.session.commit()
    result = verify(scene, pool.id)
    assert result.exit_code == 1
    assert f"pool {pool.id}: entry 2 is bad: its hash does not match its content." in \
        result.output


def test_a_dropped_entry_and_a_moved_head_are_caught(scene):
    pool = a_recorded_pool(scene)
    db.session.execute(sa.delete(PoolEntry).where(PoolEntry.pool_id == pool.id,
                                                  PoolEntry.seq == 3))
    db.session.commit()
    result = verify(scene, pool.id)
    assert result.exit_code == 1 and "the head says entry 3" in result.output
    db.session.get(PoolHead, pool.id).seq = 2
    db.session.commit()
    assert "the head says entry 2" in verify(scene, pool.id).output


def test_a_stored_figure_the_journal_does_not_say_is_caught(scene):
    pool = a_recorded_pool(scene)
    db.session.execute(sa.update(Pool).where(Pool.id == pool.id).values(available=Decimal("500.00")))
    db.session.commit()
    result = verify(scene, pool.id)
    assert result.exit_code == 1
    assert "the pool stores 500.00 available, its journal says 100.00" in result.output
