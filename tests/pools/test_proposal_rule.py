"""A pool whose contested rule is "proposal": after the last iteration an
`allocation` proposal, whose affected parties are the members of every
requesting project, lists the allocation per project; when it passes by
lazy consensus the allocation lands as pledges."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.ledger import services as ledger
from commons.pools import services
from commons.pools.models import PoolAllocation, PoolRound
from commons.pools.verifying import verify_pool
from commons.problems import Conflict, Forbidden
from tests.pools.test_services import three_requests


def test_a_contested_round_is_decided_by_a_proposal_among_the_requesting_projects(scene):
    pool = scene.pool(rule="proposal")
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    assert scene.close_due() == 1
    db.session.refresh(round_)
    assert round_.status == PoolRound.SETTLING and round_.proposal_id is not None
    proposal = db.session.get(Proposal, round_.proposal_id)
    # A person stewards the pool: the proposal lives in the first project that filed.
    assert (proposal.project_id, proposal.kind) == (scene.dryer.id, "allocation")
    assert {party.name for party in proposal.affected} == {"ada", "bo", "cy"}
    assert "| Loom | 50 hour | 33.33 hour |" in proposal.body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolAllocation)) == 0
    page = scene.app.test_client().get(f"/projects/dryer/proposals/{proposal.number}")
    assert page.status_code == 200
    assert "<td>Loom</td>" in page.get_data(as_text=True)  # the body's table, rendered

    scene.clock.advance(days=30)
    decided = governance.decide_due(db.session, scene.settings(), scene.clock())
    assert [(d.kind, d.status) for d in decided] == [("allocation", "passed")]
    db.session.expire_all()
    round_ = db.session.get(PoolRound, round_.id)
    assert round_.status == PoolRound.ALLOCATED
    quantities = {project.slug: ledger.get_input(db.session, project, 1).pledges[0].quantity
                  for project in (scene.dryer, scene.loom, scene.kiln)}
    assert quantities == {"dryer": 40, "loom": Decimal("33.33"), "kiln": Decimal("26.67")}
    assert verify_pool(db.session, pool).intact
    for project in (scene.dryer, scene.loom, scene.kiln):
        assert ledger.verify(db.session, project).intact


def test_an_objection_keeps_the_round_waiting(scene):
    pool = scene.pool(rule="proposal")
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    scene.close_due()
    db.session.refresh(round_)
    proposal = db.session.get(Proposal, round_.proposal_id)
    governance.take_stance(db.session, proposal, scene.cy, "object",
                           "Kiln's firing cannot be split.", scene.clock())
    db.session.commit()
    scene.clock.advance(days=30)
    decided = governance.decide_due(db.session, scene.settings(), scene.clock())
    assert [d.status for d in decided] == ["blocked"]
    db.session.expire_all()
    assert db.session.get(PoolRound, round_.id).status == PoolRound.SETTLING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolAllocation)) == 0


def test_nobody_opens_an_allocation_proposal_by_hand(scene):
    with pytest.raises(Forbidden) as raised:
        governance.open_proposal(db.session, scene.dryer, scene.ada, "allocation", "Give me",
                                 "", {}, scene.settings(), scene.clock())
    assert "opened by a pool round" in raised.value.message


def test_a_round_that_fits_needs_no_proposal(scene):
    pool = scene.pool(available="150", rule="proposal")
    round_ = scene.open_round(pool, iterations=2)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    scene.close_due()
    db.session.refresh(round_)
    assert round_.status == PoolRound.ALLOCATED and round_.proposal_id is None
    assert services.allocations_for_project(db.session, scene.dryer)[0].quantity == 60
    assert scene.clock() - round_.opened_at == timedelta(days=3)


def test_a_project_stewards_its_pool_hosts_the_proposal_and_its_opener_pledges(scene):
    makerspace = scene.project(scene.steward, "Makerspace", "makerspace")
    pool = scene.pool(rule="proposal", steward_project="makerspace")
    assert pool.steward_project_id == makerspace.id and pool.steward_user_id is None
    # Any member of the stewarding project acts for it; others do not.
    assert services.is_steward(pool, scene.steward) and not services.is_steward(pool, scene.ada)
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    scene.close_due()
    db.session.refresh(round_)
    proposal = db.session.get(Proposal, round_.proposal_id)
    assert proposal.project_id == makerspace.id
    assert {party.name for party in proposal.affected} == {"ada", "bo", "cy"}
    scene.clock.advance(days=30)
    governance.decide_due(db.session, scene.settings(), scene.clock())
    db.session.expire_all()
    (pledge,) = ledger.get_input(db.session, scene.kiln, 1).pledges
    assert (pledge.pledger.username, pledge.quantity) == ("maker", Decimal("26.67"))
    assert "by proposal #1 of Makerspace" in pledge.note


def test_a_round_whose_proposal_was_withdrawn_is_cancelled_when_the_pool_closes(scene):
    pool = scene.pool(rule="proposal")
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    scene.close_due()
    db.session.refresh(round_)
    proposal = db.session.get(Proposal, round_.proposal_id)
    with pytest.raises(Conflict) as raised:
        services.close_pool(db.session, scene.steward, pool, "Closing", scene.clock())
    db.session.rollback()
    assert f"being decided by proposal #{proposal.number}" in raised.value.message
    governance.withdraw_proposal(db.session, proposal, scene.steward, scene.clock())
    db.session.commit()
    services.close_pool(db.session, scene.steward, pool, "Closing", scene.clock())
    db.session.commit()
    db.session.refresh(round_)
    assert round_.status == PoolRound.CANCELLED
    assert verify_pool(db.session, pool).intact
