"""An iteration closes exactly once, whoever closes it: two closers at
once (threads with their own sessions and connections), the minute's job,
and `governance tick`."""

import threading
from datetime import timedelta

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
