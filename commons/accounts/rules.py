"""Pure rules for accounts: what a username, a password and a safe
redirect look like, and how tokens are made and recognised."""

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

USERNAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "cmn_"

# Names that would shadow a page or confuse people reading a URL.
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "api", "commons", "git", "login", "logout",
     "new", "register", "root", "settings", "system", "anonymous", "ghost"}
)


def username_problem(username: str) -> str | None:
    """Why *username* cannot be used, or None if it can."""
    if not USERNAME_PATTERN.fullmatch(username):
        return (
            "Usernames are 1 to 39 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit."
        )
    if "--" in username:
        return "Usernames cannot contain two hyphens in a row."
    if username in RESERVED_USERNAMES:
        return f"“{username}” is reserved; pick another username."
    return None


def password_problem(password: str) -> str | None:
    """Why *password* cannot be used, or None if it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use a password of at most {MAX_PASSWORD_LENGTH} characters."
    return None


def new_token() -> str:
    """A fresh personal access token (256 bits of randomness)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a token. Tokens are random, so a fast hash is enough; a
    stolen table gives nothing that can be used."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def safe_next_url(target: str | None) -> str | None:
    """*target* if it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def session_expired(logged_in_at: int | None, now: datetime, lifetime: timedelta) -> bool:
    """Whether a session begun at *logged_in_at* (seconds since the epoch;
    None for a session that never recorded it) has outlived *lifetime*.
    The lifetime counts from logging in: using a stolen cookie does not
    stretch it."""
    if not isinstance(logged_in_at, int):
        return True
    return now - datetime.fromtimestamp(logged_in_at, UTC) >= lifetime
