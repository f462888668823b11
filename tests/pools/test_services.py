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
from commons.pools import allocating, services
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


# ---------------------------------------------------------------- bad input

def refused(scene, problem, call, *, says: str, field: str | None = None):
    """*call* raises *problem* saying *says*, and nothing is written."""
    before = db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest))
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(PoolEntry))
    with pytest.raises(problem) as raised:
        call()
    db.session.rollback()
    assert says in raised.value.message
    if field is not None:
        assert raised.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolEntry)) == entries


def test_every_bad_request_is_refused_with_a_message_and_nothing_written(scene):
    pool = scene.pool(available="50", eligibility="listed", eligible=["dryer", "loom"])
    round_ = scene.open_round(pool, iterations=2)
    dryer_hours = scene.need(scene.dryer, scene.ada)
    kiln_hours = scene.need(scene.kiln, scene.cy)
    dryer_kg = scene.need(scene.dryer, scene.ada, unit="kg", title="Filament")
    now = scene.clock()

    def file(project, by, quantity, inputs, **extra):
        return lambda: services.file_request(db.session, by, round_, project, quantity, inputs,
                                             "", now, **extra)

    refused(scene, Invalid, file(scene.kiln, scene.cy, "10", [kiln_hours.number]),
            says="Kiln is not among the projects that may request", field="project")
    refused(scene, Forbidden, file(scene.dryer, scene.outsider, "10", [1]),
            says="Members of Dryer")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "0", [1]),
            says="more than zero", field="quantity")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "-5", [1]),
            says="more than zero", field="quantity")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "10", [dryer_kg.number]),
            says="is in kg; the pool “Workshop hours, December” shares hour",
            field="input_numbers")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "10", [1], unit="kg"),
            says="ask in hour, not kg", field="unit")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "10", []),
            says="Name at least one", field="input_numbers")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "10", [99]),
            says="Dryer has no input #99", field="input_numbers")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "101", [dryer_hours.number]),
            says="still need 100 hour", field="quantity")
    refused(scene, Invalid, file(scene.dryer, scene.ada, "1.005", [1]),
            says="at most 2 decimal places", field="quantity")

    scene.request(round_, scene.dryer, scene.ada, "60", [1])
    scene.clock.advance(days=3)  # the iteration's time is up, not yet closed
    later = scene.clock()
    refused(scene, Conflict, lambda: services.file_request(
        db.session, scene.ada, round_, scene.dryer, "50", [1], "", later),
        says="Iteration 1 of round 1 closed at")
    scene.close_due()
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.ada, round_, scene.dryer, "61", [1], "", later),
        says="may not rise above what the project asked in the previous iteration (60 hour)",
        field="quantity")
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.bo, round_, scene.loom, "5", [scene.need(scene.loom, scene.bo).number],
        "", later), says="Requests are filed in the first iteration", field="quantity")


def test_a_request_above_the_threshold_needs_the_projects_passed_input_proposal(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool)
    # 20 hours at 10 EUR = 200 EUR, above the 100 EUR threshold: pending.
    need = scene.need(scene.dryer, scene.ada, quantity="20", unit_cost="10", currency="EUR")
    assert not need.approved
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.ada, round_, scene.dryer, "15", [need.number], "", scene.clock()),
        says="above Dryer's approval threshold (100 EUR), so the inputs it serves must be "
             "approved first: input #1 (Workshop time) is pending, and its input proposal #1 "
             "is still open", field="input_numbers")
    # Up to the threshold (10 hours = 100 EUR) the project asks without a decision.
    assert scene.request(round_, scene.dryer, scene.ada, "10", [need.number]).quantity == 10
    ledger.approve_input(db.session, scene.dryer, need.number, 1, scene.clock())
    db.session.commit()
    assert scene.request(round_, scene.dryer, scene.ada, "15", [need.number]).quantity == 15


def test_pool_and_round_settings_refused_with_a_message(scene):
    def create(**fields):
        form = {"title": "Grant", "kind": "money", "currency": "EUR", "available": "1000",
                **fields}
        return lambda: services.create_pool(db.session, scene.steward,
                                            services.PoolForm(**form), scene.clock())

    refused(scene, Invalid, create(kind="gold"), says="Kind is money", field="kind")
    refused(scene, Invalid, create(currency="EURO"), says="ISO 4217", field="currency")
    refused(scene, Invalid, create(available="-1"), says="cannot be negative",
            field="available")
    refused(scene, Invalid, create(contested_rule="lottery"), says="proportional",
            field="contested_rule")
    refused(scene, Invalid, create(steward_project="dryer"), says="Only members of Dryer",
            field="steward_project")
    refused(scene, Invalid, create(eligibility="listed"), says="List at least one project",
            field="eligible")
    refused(scene, Invalid, create(kind="resource", unit="EUR"), says="kind money",
            field="unit")
    pool = scene.pool()

    def open_round(iterations, seconds, by=scene.steward):
        return lambda: services.open_round(db.session, by, pool, iterations, seconds,
                                           scene.clock(), min_review_window=scene.min_window())

    refused(scene, Invalid, open_round(11, None), says="1 to 10 iterations",
            field="iterations")
    refused(scene, Invalid, open_round(0, None), says="1 to 10 iterations", field="iterations")
    refused(scene, Invalid, open_round(3, scene.min_window() - 1),
            says="at least the minimum review window (1 day)", field="iteration_seconds")
    refused(scene, Forbidden, open_round(3, None, by=scene.ada),
            says="Only the steward of the pool “Workshop hours, December” may open a round")
    round_ = scene.open_round(pool, iterations=None, seconds=None)
    assert (round_.iterations, round_.iteration_seconds) == (3, 3 * DAY)
    refused(scene, Conflict, open_round(3, None), says="one round at a time")
    refused(scene, Invalid, lambda: services.change_availability(
        db.session, scene.steward, pool, "100", "same", scene.clock()),
        says="100 hour is available already", field="available")


def test_a_withdrawn_request_asks_nothing_and_cannot_come_back(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=3)
    needs = three_requests(scene, round_)
    services.withdraw_request(db.session, scene.cy, round_, scene.kiln, scene.clock())
    db.session.commit()
    refused(scene, Conflict, lambda: services.withdraw_request(
        db.session, scene.cy, round_, scene.kiln, scene.clock()), says="nothing to withdraw")
    scene.clock.advance(days=3)
    scene.close_due()
    first = db.session.scalar(sa.select(PoolIteration).where(PoolIteration.round_id == round_.id))
    assert first.requested == 110 and str(scene.kiln.id) not in first.shares
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.cy, round_, scene.kiln, "10", [needs["kiln"].number], "",
        scene.clock()), says="did not ask in the one before")


def test_closing_the_pool_cancels_its_open_round_and_takes_no_more(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool)
    services.close_pool(db.session, scene.steward, pool, "The workshop moved.", scene.clock())
    db.session.commit()
    db.session.refresh(round_)
    assert round_.status == PoolRound.CANCELLED and pool.closed_at == scene.clock()
    refused(scene, Conflict, lambda: services.change_availability(
        db.session, scene.steward, pool, "90", "x", scene.clock()), says="is closed")
    scene.clock.advance(days=3)
    assert scene.close_due() == 0


def test_an_allocation_fills_the_named_inputs_in_order_up_to_what_each_still_needs(scene):
    pool = scene.pool(available="100")
    round_ = scene.open_round(pool, iterations=1)
    first = scene.need(scene.dryer, scene.ada, quantity="30", title="Lathe time")
    second = scene.need(scene.dryer, scene.ada, quantity="100", title="Mill time")
    # As the form sends it: numbers in one field.
    row = scene.request(round_, scene.dryer, scene.ada, "50", f"#{first.number}, {second.number}")
    assert row.input_numbers == [1, 2]
    scene.clock.advance(days=3)
    scene.close_due()
    (allocation,) = services.allocations_for_project(db.session, scene.dryer)
    assert allocation.quantity == 50
    assert [(p["input"], p["quantity"]) for p in allocation.pledges] == \
        [(1, "30.00"), (2, "20.00")]
    assert ledger.get_input(db.session, scene.dryer, 1).status == "covered"


def test_who_may_request_for_which_project(scene):
    from flask_login import AnonymousUserMixin

    pool = scene.pool(eligibility="listed", eligible=["dryer", "kiln"])
    assert [p.slug for p in services.eligible_projects_for(db.session, scene.ada, pool)] == \
        ["dryer"]
    assert services.eligible_projects_for(db.session, scene.bo, pool) == []  # loom is not listed
    assert services.eligible_projects_for(db.session, AnonymousUserMixin(), pool) == []
    assert services.is_steward(pool, scene.steward)
    assert not services.is_steward(pool, scene.ada)
    assert not services.is_steward(pool, AnonymousUserMixin())


def test_a_round_that_cannot_be_allocated_keeps_no_other_round_waiting(scene):
    # Pool A is stewarded by a project whose pledger accounts are gone, so
    # its allocation cannot be written; pool B's round must still land.
    broken = scene.pool(available="100", by=scene.ada, steward_project="dryer")
    first = scene.open_round(broken, iterations=1, by=scene.ada)
    fine = scene.pool(available="100")
    second = scene.open_round(fine, iterations=1)
    loom = scene.need(scene.loom, scene.bo)
    kiln = scene.need(scene.kiln, scene.cy)
    scene.request(first, scene.loom, scene.bo, "10", [loom.number])
    scene.request(second, scene.kiln, scene.cy, "10", [kiln.number])
    db.session.execute(sa.text("UPDATE pools SET created_by_id = NULL WHERE id = :id"),
                       {"id": broken.id})
    db.session.execute(sa.text("UPDATE pool_rounds SET opened_by_id = NULL WHERE id = :id"),
                       {"id": first.id})
    db.session.commit()
    scene.clock.advance(days=3)
    scene.close_due()
    allocating.allocate_ready(db.session, scene.clock())
    statuses = dict(db.session.execute(sa.select(PoolRound.id, PoolRound.status)).all())
    assert statuses == {first.id: PoolRound.SETTLING, second.id: PoolRound.ALLOCATED}


def test_a_recurring_need_is_requested_for_as_it_stands_this_month(scene):
    """A need that recurs monthly is open to requests only in a month its
    pledges do not cover, and for what the months through this one need."""
    pool = scene.pool(available="50")
    round_ = scene.open_round(pool)
    covered = scene.need(scene.dryer, scene.ada, quantity="10", title="Drying room",
                         recurs="monthly")
    ledger.pledge(db.session, scene.dryer, scene.bo, covered.number, "30", now=scene.clock())
    db.session.commit()  # three months ahead
    uncovered = scene.need(scene.dryer, scene.ada, quantity="10", title="Kiln room",
                           recurs="monthly")
    now = scene.clock()
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.ada, round_, scene.dryer, "5", [covered.number], "", now),
        says="needs nothing more", field="input_numbers")
    refused(scene, Invalid, lambda: services.file_request(
        db.session, scene.ada, round_, scene.dryer, "11", [uncovered.number], "", now),
        says="still need 10 hour", field="quantity")
    row = services.file_request(db.session, scene.ada, round_, scene.dryer, "10",
                                [uncovered.number], "", now)
    db.session.commit()
    assert row.quantity == Decimal("10")
