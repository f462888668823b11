"""The API's jobs."""

from commons import clock
from commons.api.idempotency import prune_idempotency_keys
from commons.extensions import db
from commons.jobs import job
from commons.jobs.registry import Every


@job("api.prune_idempotency_keys", periodic=Every(minute="17"))
def prune_keys() -> None:
    """Hourly: forget Idempotency-Keys older than a day."""
    prune_idempotency_keys(db.session, clock.now())
    db.session.commit()
