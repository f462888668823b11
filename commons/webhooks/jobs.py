"""The webhook job: one attempt of one delivery, off the request path."""

from flask import current_app

from commons import clock
from commons.extensions import db
from commons.jobs import job
from commons.jobs.registry import Every
from commons.webhooks import services


@job(services.DELIVER_JOB)
def deliver(delivery_id: int, attempt: int, redelivery: bool = False) -> bool:
    """Make attempt *attempt* of delivery *delivery_id*; a failure schedules
    the next attempt itself (COMMONS_WEBHOOK_ATTEMPTS), so the queue's own
    retries are left for crashes. Returns whether it was delivered."""
    record = services.deliver(db.session, delivery_id, attempt,
                              services.Settings.from_config(current_app.config), clock.now(),
                              redelivery=redelivery)
    return record is not None and record.ok


@job("webhooks.prune", periodic=Every(hour="4", minute="41"))
def prune() -> int:
    """Forget deliveries older than COMMONS_WEBHOOK_LOG_DAYS that are
    settled (delivered or failed), so the log stays the recent one."""
    removed = services.prune_deliveries(db.session, float(current_app.config.get(
        "WEBHOOK_LOG_DAYS", 30)), clock.now())
    db.session.commit()
    return removed
