"""An iteration closes exactly once, whoever closes it: two closers at
once (threads with their own sessions and connections), the minute's job,
and `governance tick`."""

import threading
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from commons import jobs
from commons.extensions import db
from commons.governance.settings import Settings
from commons.pools import closing
from commons.pools.models import PoolEntry, PoolIteration, PoolRequest, PoolRound
from commons.pools.verifying import verify_pool
from tests.pools.test_services import three_requests


def test_two_closers_at_once_close_an_iteration_once(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=3)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    app, now = scene.app, scene.clock()
    both_see_it_due = threading.Barrier(2, timeout=30)
    closed: list[bool] = []
    errors: list[str] = []

    def close() -> None:
        with app.app_context():
            try:
                (due,) = closing.due(db.session, now)
                db.session.rollback()  # no transaction held while waiting
                both_see_it_due.wait()
                closed.append(closing.close_iteration(db.session, *due, now,
                                                      Settings.from_config(app.config)))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
                db.session.rollback()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(closed) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolIteration)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest).where(
        PoolRequest.iteration == 2)) == 3  # carried once
    assert db.session.scalars(sa.select(PoolEntry.action).where(
        PoolEntry.action == "iteration_closed")).all() == ["iteration_closed"]
    assert db.session.get(PoolRound, round_.id).iteration == 2
    assert verify_pool(db.session, pool).intact


def test_the_minutes_job_and_governance_tick_close_what_is_due_once(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=3)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    jobs.enqueue("pools.sweep")  # QUEUE_URL=immediate: runs here, at the app's clock
    db.session.expire_all()
    assert db.session.get(PoolRound, round_.id).iteration == 2
    at = (scene.clock() + timedelta(days=3)).isoformat()
    runner = scene.app.test_cli_runner()
    result = runner.invoke(args=["governance", "tick", "--now", at])
    assert result.exit_code == 0, result.output
    assert "Closed 1 pool round iteration." in result.output
    again = runner.invoke(args=["governance", "tick", "--now", at])
    assert "pool round" not in again.output  # nothing left to close
    db.session.expire_all()
    assert db.session.get(PoolRound, round_.id).iteration == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolIteration)) == 2


def test_two_allocation_writers_at_once_pledge_each_project_once(scene):
    from commons.ledger.models import Pledge
    from commons.pools import allocating

    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    # Closed without its job, as if the worker died: the round waits, settling.
    closed = closing.close_iteration(db.session, round_.id, pool.id, 1, scene.clock(),
                                     Settings.from_config(scene.app.config))
    db.session.info.pop("commons.jobs.after_commit", None)
    db.session.commit()
    assert closed and db.session.get(PoolRound, round_.id).status == PoolRound.SETTLING
    # The round's id is read here: the threads must not touch the test's session.
    app, now, round_id = scene.app, scene.clock(), round_.id
    start = threading.Barrier(2, timeout=30)
    written: list[int] = []
    errors: list[str] = []

    def write() -> None:
        with app.app_context():
            try:
                start.wait()
                written.append(allocating.allocate_round(db.session, round_id, now))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
                db.session.rollback()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(written) == 3
    db.session.expire_all()
    assert db.session.get(PoolRound, round_.id).status == PoolRound.ALLOCATED
    pledges = db.session.scalars(sa.select(Pledge.quantity).where(
        Pledge.pool_round_id == round_.id)).all()
    assert sorted(pledges) == [Decimal("26.67"), Decimal("33.33"), Decimal("40.00")]
    assert db.session.scalars(sa.select(PoolEntry.action).where(
        PoolEntry.action == "round_settled")).all() == ["round_settled"]
    assert verify_pool(db.session, pool).intact


def test_the_minutes_sweep_writes_an_allocation_whose_job_was_lost(scene):
    pool = scene.pool()
    round_ = scene.open_round(pool, iterations=1)
    three_requests(scene, round_)
    scene.clock.advance(days=3)
    closing.close_iteration(db.session, round_.id, pool.id, 1, scene.clock())
    db.session.info.pop("commons.jobs.after_commit", None)  # the job is lost
    db.session.commit()
    assert db.session.get(PoolRound, round_.id).status == PoolRound.SETTLING
    jobs.enqueue("pools.sweep")
    db.session.expire_all()
    assert db.session.get(PoolRound, round_.id).status == PoolRound.ALLOCATED
