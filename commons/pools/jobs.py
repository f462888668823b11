"""Pools' jobs: each minute, close the iterations whose time is up (beside
the sweep that decides proposals), never inside a page read."""

from flask import current_app
from huey import crontab

from commons import clock
from commons.extensions import db
from commons.governance.settings import Settings
from commons.jobs import job
from commons.pools import closing


@job("pools.sweep", periodic=crontab(minute="*"))
def sweep() -> int:
    """Every minute: close every iteration whose time is up, publish what
    it showed, and settle the rounds that are done (commons.pools.closing).
    Safe beside itself and `governance tick`: each close is claimed once.
    Returns how many it closed."""
    return closing.close_due_iterations(db.session, clock.now(),
                                        Settings.from_config(current_app.config))
