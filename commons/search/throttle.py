"""How often one client may search code: each code search runs git grep in
up to twenty repositories for up to two seconds, so a few clients could
keep every web worker busy. Past the limit the other kinds are still
searched; only code waits."""

import logging

from flask import current_app, request
from limits import parse

from commons.extensions import limiter

log = logging.getLogger(__name__)


def code_search_allowed() -> bool:
    """Count one code search for this client against SEARCH_CODE_RATE_LIMIT
    (in the limiter's storage, shared by every instance); False once spent."""
    item = parse(current_app.config["SEARCH_CODE_RATE_LIMIT"])
    try:
        return limiter.limiter.hit(item, "search-code", request.remote_addr or "unknown")
    except Exception:  # noqa: BLE001 - each storage client raises its own errors
        # The limiter's storage failing must not fail a search; it falls
        # back to counting in memory by itself on the next requests.
        log.warning("Could not count a code search; searching anyway", exc_info=True)
        return True
