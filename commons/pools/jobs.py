"""Pools' jobs: each minute, close the iterations whose time is up and
write the allocations that are decided (beside the sweep that decides
proposals), never inside a page read; and the allocation of a settled
round, enqueued by the close or the decision that settled it."""

from flask import current_app
from huey import crontab

from commons import clock
from commons.extensions import db
from commons.governance.settings import Settings
from commons.jobs import job
from commons.pools import allocating, closing


@job("pools.sweep", periodic=crontab(minute="*"))
def sweep() -> int:
    """Every minute: close every iteration whose time is up, publish what
    it showed and settle the rounds that are done (commons.pools.closing);
    then write any decided allocation whose own job was lost. Safe beside
    itself and `governance tick`: each close and each project's pledges
    are claimed once. Returns how many iterations it closed."""
    closed = closing.close_due_iterations(db.session, clock.now(),
                                          Settings.from_config(current_app.config))
    allocating.allocate_ready(db.session, clock.now())
    return closed


@job(allocating.ALLOCATE)
def allocate(round_id: int) -> int:
    """Write the pledges of settled round *round_id* (commons.pools.
    allocating); how many projects' this run wrote."""
    return allocating.allocate_round(db.session, round_id, clock.now())
