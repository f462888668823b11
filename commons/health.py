"""``/healthz`` and ``/readyz``: whether this instance lives, and whether it
can serve.

``/healthz`` answers as soon as the process does and checks nothing else:
restart an instance when it fails. ``/readyz`` checks what every request
may need: the database, Redis where a setting names it (rate-limit
counts, the job queue), and the shared repository and evidence folders,
which must take a new file. It answers 200 when all pass, 503 naming the
failing ones otherwise, and logs why (the answer says only which, since
anyone may ask). Neither needs a login, neither is rate-limited.
"""

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, jsonify
from limits.storage import storage_from_string

from commons.extensions import db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
limiter.exempt(bp)
EXTENSION = "commons.health"
REDIS_TIMEOUT = 2.0  # seconds: a probe that hangs is a failed probe


class CheckFailed(Exception):
    """A readiness check failed; the message is what the answer shows."""


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz() -> Response:
    results: dict[str, str] = {}
    for name, check in checks(current_app).items():
        try:
            check()
            results[name] = "ok"
        except CheckFailed as failure:
            results[name] = str(failure)
            log.warning("readiness: %s: %s: %s", name, failure, failure.__cause__)
    failing = [name for name, result in results.items() if result != "ok"]
    body: dict[str, object] = {"status": "unready" if failing else "ready", "checks": results}
    if failing:
        body["failing"] = failing
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def checks(app: Flask) -> dict[str, Callable[[], None]]:
    """The readiness checks for *app*'s settings, by name."""
    found: dict[str, Callable[[], None]] = {"database": _database}
    for name, setting in (("rate_limit_storage", "RATELIMIT_STORAGE_URI"),
                          ("queue", "QUEUE_URL")):
        uri = app.config.get(setting) or ""
        if uri.startswith(("redis://", "rediss://", "redis+", "unix://")):
            found[name] = _redis_check(app, uri)
    found["repositories"] = _folder_check(app.config["REPOS_DIR"])
    found["evidence"] = _folder_check(app.config["EVIDENCE_DIR"])
    return found


def _database() -> None:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        raise CheckFailed("unreachable") from error


def _redis_check(app: Flask, uri: str) -> Callable[[], None]:
    clients = app.extensions.setdefault(EXTENSION, {})

    def check() -> None:
        try:
            if uri not in clients:
                clients[uri] = _redis_pinger(uri)
            reached = clients[uri]()
        except Exception as error:
            raise CheckFailed("unreachable") from error
        if not reached:
            raise CheckFailed("unreachable")
    return check


def _redis_pinger(uri: str) -> Callable[[], bool]:
    """A ping over one client kept per URI, with short timeouts."""
    if uri.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(uri, socket_connect_timeout=REDIS_TIMEOUT,
                                      socket_timeout=REDIS_TIMEOUT)
        return lambda: bool(client.ping())
    # redis+sentinel:// and redis+cluster://, as the rate limiter reads them.
    storage = storage_from_string(uri)
    return lambda: bool(storage.check())


def _folder_check(folder: str) -> Callable[[], None]:
    def check() -> None:
        path = Path(folder)
        probe = path / f".readyz-{os.getpid()}-{uuid.uuid4().hex}"
        try:
            # Created if missing, as the first project would create it.
            path.mkdir(parents=True, exist_ok=True)
            with open(probe, "xb") as file:
                file.write(b"ready\n")
            probe.unlink()
        except OSError as error:
            raise CheckFailed("not writable") from error
    return check


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
