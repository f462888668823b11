"""The time as the application sees it. Tests and the `governance tick
--now` option move it; everything else asks here instead of the system."""

from datetime import datetime

from flask import current_app, has_app_context

from commons.types import utcnow


def now() -> datetime:
    if has_app_context() and (clock := current_app.config.get("CLOCK")):
        return clock()
    return utcnow()
