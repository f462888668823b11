"""A pool's round from the services, on both databases: the issue's
makerspace (100 workshop hours; requests 60, 50, 40; revised to 50, 30,
20), what each close publishes, and the allocation landing as pledges."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import services as ledger
from commons.ledger.models import Pledge
from commons.pools import services
from commons.pools.models import PoolAllocation, PoolEntry, PoolIteration, PoolRequest, PoolRound
from commons.problems import Conflict, Forbidden, Invalid
from tests.pools.conftest import DAY


def three_requests(scene, round_):
    needs = {p.slug: scene.need(p, founder) for p, founder in
             ((scene.dryer, scene.ada), (scene.loom, scene.bo), (scene.kiln, scene.cy))}
    scene.request(round_, scene.dryer, scene.ada, "60", [needs["dryer"].number])
    scene.request(round_, scene.loom, scene.bo, "50", [needs["loom"].number])
    scene.request(round_, scene.kiln, scene.cy, "40", [needs["kiln"].number])
    return needs


def test_the_makerspace_round_publishes_the_pressure_and_allocates_what_was_revised(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=3)
    three_requests(scene, round_)

    assert scene.close_due() == 0  # not yet time
    scene.clock.advance(days=3)
    assert scene.close_due() == 1
    first = db.session.scalar(sa.select(PoolIteration).where(PoolIteration.round_id == round_.id))
    assert (first.available, first.requested, first.ratio) == (100, 150, Decimal("1.5"))
    assert first.shares == {str(scene.dryer.id): "40.00", str(scene.loom.id): "33.33",
                            str(scene.kiln.id): "26.67"}
    db.session.refresh(round_)
    assert (round_.status, round_.iteration) == (PoolRound.OPEN, 2)
    # The next iteration lasts its full length from the close that published.
    assert round_.iteration_closes_at == scene.clock() + timedelta(days=3)

    # Requests stand into the next iteration; each project revises down.
    scene.request(round_, scene.dryer, scene.ada, "50", [1], "Two dryers, not three.")
    scene.request(round_, scene.loom, scene.bo, "30", [1])
    scene.request(round_, scene.kiln, scene.cy, "20", [1])
    scene.clock.advance(days=3)
    assert scene.close_due() == 1

    db.session.refresh(round_)
    assert round_.status == PoolRound.ALLOCATED  # demand fits: the round ended early
    second = db.session.scalar(sa.select(PoolIteration).where(
        PoolIteration.round_id == round_.id, PoolIteration.iteration == 2))
    assert second.requested == 100 and second.ratio == 1
    assert "ends early" in second.note
    for project, hours in ((scene.dryer, 50), (scene.loom, 30), (scene.kiln, 20)):
        need = ledger.get_input(db.session, project, 1)
        (pledge,) = need.pledges
        assert (pledge.quantity, pledge.pledger.username, pledge.pool_round_id) == \
            (hours, "maker", round_.id)
        assert f"round {round_.number}" in pledge.note
        assert ledger.verify(db.session, project).intact
    allocations = services.allocations_for_project(db.session, scene.loom)
    assert [(a.quantity, a.round.pool.title) for a in allocations] == \
        [(30, "Workshop hours, December")]
    assert allocations[0].pledges == [{"input": 1, "seq": 2, "quantity": "30.00"}]
    actions = db.session.scalars(sa.select(PoolEntry.action).where(PoolEntry.pool_id == pool.id)
                                 .order_by(PoolEntry.seq)).all()
    assert actions == ["pool_created", "round_opened", "iteration_closed", "iteration_closed",
                       "round_settled"]

    # Receipts then follow the ordinary ledger flow, against the pool's pledge.
    ledger.record_receipt(db.session, scene.loom, scene.bo, 1, "30", "maker",
                          pledge_seq="auto", now=scene.clock())
    db.session.commit()
    assert ledger.get_input(db.session, scene.loom, 1).received == 30


def test_after_the_last_iteration_the_contested_rest_is_cut_in_proportion(scene):
    pool = scene.pool(available="100")
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    assert scene.close_due() == 1
    rows = {a.project_id: a.quantity for a in db.session.scalars(sa.select(PoolAllocation))}
    assert rows == {scene.dryer.id: Decimal("40.00"), scene.loom.id: Decimal("33.33"),
                    scene.kiln.id: Decimal("26.67")}
    assert sum(rows.values()) == 100
    pledged = db.session.scalars(sa.select(Pledge.quantity).where(
        Pledge.pool_round_id == round_.id)).all()
    assert sorted(pledged) == sorted(rows.values())


def test_a_lowered_availability_is_used_by_the_next_close_and_said(scene):
    pool = scene.pool(available="120")
    round_ = scene.open_round(pool, iterations=2)
    three_requests(scene, round_)
    services.change_availability(db.session, scene.steward, pool, "100", "A machine broke.",
                                 scene.clock())
    db.session.commit()
    scene.clock.advance(days=3)
    scene.close_due()
    first = db.session.scalar(sa.select(PoolIteration).where(PoolIteration.round_id == round_.id))
    assert first.available == 100 and first.ratio == Decimal("1.5")
    assert "Availability lowered from 120 to 100 hour by the steward" in first.note
