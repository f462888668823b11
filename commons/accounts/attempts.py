"""Password attempts: each is counted before the password is checked, per
client and per account, in one atomic step of the rate-limit storage.

Testing the count first and adding to it after the check lets every guess
that arrives while others are being checked through (the audit saw 34 of
80 parallel guesses checked under a limit of 10). ``hit()`` increments and
compares in one step, in memory under a lock and in Redis in one script.
"""

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION = "commons.password_attempts"


class TooManyAttempts(Exception):
    """A password was not checked: a budget of attempts is spent."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass
class _Counter:
    limiter: MovingWindowRateLimiter
    per_client: RateLimitItem
    per_account: RateLimitItem
    prefix: str


def init_app(app: Flask) -> None:
    """Open the storage the attempts are counted in (the limiter's)."""
    # A moving window: never more than the limit in any minute, even across
    # the edge of a fixed window.
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions[EXTENSION] = _Counter(
        limiter=MovingWindowRateLimiter(storage),
        per_client=parse(app.config["LOGIN_RATE_LIMIT"]),
        per_account=parse(app.config["ACCOUNT_LOGIN_RATE_LIMIT"]),
        prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "commons",
    )


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
