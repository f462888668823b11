"""Password attempts: each is counted before the password is checked, per
client and per account, in one atomic step of the rate-limit storage.

Testing the count first and adding to it after the check lets every guess
that arrives while others are being checked through (the audit saw 34 of
80 parallel guesses checked under a limit of 10). ``hit()`` increments and
compares in one step, in memory under a lock and in Redis in one script.

When that storage cannot be reached (Redis down), counting goes on in this
process's memory, as Flask-Limiter's own fallback does for the other
limits, and the storage is tried again every RECHECK_SECONDS: logins and
outside pushes keep working, each process counting its own share.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

EXTENSION = "commons.password_attempts"
RECHECK_SECONDS = 10
log = logging.getLogger(__name__)


class FallbackLimiter:
    """A moving-window limiter on the configured storage that counts in
    memory while that storage fails, and goes back to it once it answers
    a health check again. Logs each switch once."""

    def __init__(self, uri: str, options: dict[str, Any] | None = None):
        # wrap_exceptions: every storage failure is a StorageError, whatever
        # the client library (redis, valkey, memcached) raises.
        self.storage = storage_from_string(uri, wrap_exceptions=True, **(options or {}))
        self.primary = MovingWindowRateLimiter(self.storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self._down_since: float | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._call("hit", item, *identifiers)

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        return self._call("get_window_stats", item, *identifiers)

    @property
    def falling_back(self) -> bool:
        return self._down_since is not None

    def _call(self, name: str, item: RateLimitItem, *identifiers: str):
        if self._down_since is not None and not self._recovered():
            return getattr(self.fallback, name)(item, *identifiers)
        try:
            return getattr(self.primary, name)(item, *identifiers)
        except StorageError as error:
            with self._lock:
                if self._down_since is None:
                    self._down_since = self._checked_at = time.monotonic()
                    log.warning("Rate limit storage unreachable (%s): password attempts and "
                                "outside pushes are counted in this process's memory until "
                                "it is back", error.storage_error)
            return getattr(self.fallback, name)(item, *identifiers)

    def _recovered(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked_at < RECHECK_SECONDS:
                return False
            self._checked_at = time.monotonic()
        if not self.storage.check():
            return False
        with self._lock:
            self._down_since = None
        log.warning("Rate limit storage recovered: password attempts are counted in it again")
        return True


class TooManyAttempts(Exception):
    """A password was not checked: a budget of attempts is spent."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class _Counter:
    limiter: FallbackLimiter
    per_client: RateLimitItem
    per_account: RateLimitItem
    prefix: str


def init_app(app: Flask) -> None:
    """Open the storage the attempts are counted in (the limiter's)."""
    _let_the_limiter_be_heard()
    # A moving window: never more than the limit in any minute, even across
    # the edge of a fixed window.
    app.extensions[EXTENSION] = _Counter(
        limiter=FallbackLimiter(app.config["RATELIMIT_STORAGE_URI"],
                                app.config.get("RATELIMIT_STORAGE_OPTIONS")),
        per_client=parse(app.config["LOGIN_RATE_LIMIT"]),
        per_account=parse(app.config["ACCOUNT_LOGIN_RATE_LIMIT"]),
        prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "commons",
    )


def _let_the_limiter_be_heard() -> None:
    # Flask-Limiter gives its logger a NullHandler, which silences its
    # "storage unreachable - falling back" warning wherever logging is not
    # configured (gunicorn leaves it so); send it to stderr as Python does
    # for every other module's warnings then.
    limiter_log = logging.getLogger("flask-limiter")
    if not logging.getLogger().handlers and not any(
            type(handler) is logging.StreamHandler for handler in limiter_log.handlers):
        limiter_log.addHandler(logging.StreamHandler())


def count_password_attempt(account: str) -> None:
    """Count one password check against this client's budget and against
    *account*'s (the canonical username, or what was typed when no account
    matches); raise TooManyAttempts, without counting against the account,
    when the client's budget is spent."""
    counter: _Counter = current_app.extensions[EXTENSION]
    client = request.remote_addr or "unknown"
    if not counter.limiter.hit(counter.per_client, counter.prefix, "password-client", client):
        wait = seconds_to_wait(counter, counter.per_client, "password-client", client)
        raise TooManyAttempts("Too many attempts with a password from your address in a "
                              f"short time; wait {wait} seconds, then try again.", wait)
    if not counter.limiter.hit(counter.per_account, counter.prefix, "password-account", account):
        # The same words whether or not the account exists.
        wait = seconds_to_wait(counter, counter.per_account, "password-account", account)
        raise TooManyAttempts("Too many attempts with a password for this account in a "
                              f"short time; wait {wait} seconds, then try again.", wait)


def seconds_to_wait(counter: _Counter, item: RateLimitItem, scope: str, key: str) -> int:
    """How long until *key* may try again in *scope* (the storage's own clock)."""
    stats = counter.limiter.get_window_stats(item, counter.prefix, scope, key)
    return max(1, math.ceil(stats.reset_time - time.time()))


def per_worker_warning(storage_uri: str, workers: int) -> str | None:
    """What to tell the operator when each of several server processes
    would count attempts on its own, multiplying every limit; else None."""
    if workers > 1 and storage_uri.startswith("memory://"):
        return (f"Password attempts are counted in memory, separately in each of the "
                f"{workers} workers, so every login limit is {workers} times looser. "
                "Set COMMONS_RATELIMIT_STORAGE_URI=redis://host:6379 to count them "
                "once for all workers.")
    return None
