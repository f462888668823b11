"""Pure rules for accounts: what a username, a password and a safe
redirect look like, and how tokens are made and recognised."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

USERNAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "cmn_"
# The fewest seconds between two confirmation links to one address, so a
# button cannot flood someone's mailbox.
RESEND_INTERVAL = timedelta(minutes=1)
# Addresses one account may hold, confirmed or not.
MAX_EMAILS = 20

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


@dataclass(frozen=True)
class ConfirmationLink:
    """What a confirmation link names: the address row, its account and the
    address itself (a row reused for another address must not match)."""

    email_id: int
    user_id: int
    address: str


def confirmation_data(email_id: int, user_id: int, address: str) -> dict[str, object]:
    """The payload signed into a confirmation link."""
    return {"e": email_id, "u": user_id, "a": address}


def confirmation_payload(data: object) -> ConfirmationLink | None:
    """The link a signed payload names, or None if it is not one (signed by
    this site for something else, or by an older version)."""
    if not isinstance(data, dict):
        return None
    email_id, user_id, address = data.get("e"), data.get("u"), data.get("a")
    if not (type(email_id) is int and type(user_id) is int and isinstance(address, str)):
        return None
    return ConfirmationLink(email_id, user_id, address)


def lifetime_words(seconds: int) -> str:
    """How long a link lasts, as a mail says it: "48 hours", "10 minutes"."""
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def may_resend(sent_at: datetime, now: datetime) -> bool:
    """Whether another confirmation link may go to an address whose last one
    was sent at *sent_at*."""
    return now - sent_at >= RESEND_INTERVAL
