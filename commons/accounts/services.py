"""Account use cases. Each takes the session first and flushes; the caller
commits."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from commons import times
from commons.accounts import confirming, rules
from commons.accounts.confirming import confirm as confirm_email
from commons.accounts.confirming import resend as resend_confirmation
from commons.accounts.models import AccessToken, Email, User
from commons.problems import Conflict, Invalid, NotFound

# Re-exported from confirming.py, so the pages import one name.
__all__ = ["confirm_email", "resend_confirmation"]
from commons.text import TextError, clean_text

# werkzeug's default (scrypt), unless the app's PASSWORD_HASH_METHOD says
# otherwise; the test fixtures ask for a cheap one.
DEFAULT_HASH_METHOD = "scrypt"

# Compared against when the username is unknown, so a failed login takes as
# long whether or not the account exists; one per method, made with the same
# method as real hashes so the two cost the same.
_DUMMY_HASHES: dict[str, str] = {}

TOKEN_LIFETIMES_DAYS = (None, 30, 90, 365)

# Addresses per IN (...) list, well under every database's limit.
_CHUNK = 500


def normalise_username(username: str) -> str:
    """The canonical form of a typed username (usernames are lowercase)."""
    return (username or "").strip().lower()


def normalise_email(address: str) -> str:
    """Check an email address and return it lowercased; raise Invalid."""
    try:
        text = clean_text(address, label="Email address", max_length=254)
        result = validate_email(text, check_deliverability=False)
    except TextError as error:
        raise Invalid(str(error), field="email") from None
    except EmailNotValidError as error:
        raise Invalid(f"That email address is not valid: {error}", field="email") from None
    return result.normalized.lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(
        sa.select(User).where(User.username == normalise_username(username))
    )


def register_user(session: Session, username: str, email: str, password: str,
                  now: datetime, *, confirmed_at: datetime | None = None) -> User:
    """Create an account with its first email address, unconfirmed: its
    link is mailed to it (or, if another account holds the address, that
    account is told instead; the answer is the same, so registering reveals
    nothing about who holds an address).

    *confirmed_at* is for an operator who vouches for the address (`users
    create`, the demo data, test fixtures): it is confirmed at once, nothing
    is mailed, and an address another account holds is refused."""
    username = normalise_username(username)
    problem = rules.username_problem(username)
    if problem:
        raise Invalid(problem, field="username")
    address = normalise_email(email)
    problem = rules.password_problem(password or "")
    if problem:
        raise Invalid(problem, field="password")
    if find_user(session, username):
        raise Conflict(f"The username “{username}” is taken; pick another.", field="username")
    if confirmed_at is not None:
        _ensure_email_free(session, address)
    user = User(username=username, password_hash=_hash_password(password), created_at=now)
    row = Email(address=address, created_at=now, confirmed_at=confirmed_at)
    user.emails.append(row)
    session.add(user)
    _flush_or_conflict(session, "That username or email address was just taken; pick another.")
    if confirmed_at is None:
        confirming.claim(session, user, row, now, via="register")
    return user


def authenticate(session: Session, login: str, password: str,
                 count_attempt: Callable[[str], None]) -> User | None:
    """The user whose username or email and password match, else None.

    *count_attempt* is called with the account's username (or the typed
    login when none matches) before the password is checked, so a guess by
    email and one by username count against the same account; it raises to
    stop the check."""
    login = (login or "").strip().lower()
    if "@" in login:
        # Only a confirmed address names one account.
        user = session.scalar(
            sa.select(User).join(Email).where(Email.address == login, Email.confirmed)
        )
    else:
        user = session.scalar(sa.select(User).where(User.username == login))
    count_attempt(user.username if user is not None else login)
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of *user*: in every browser, and every copy of a
    session cookie."""
    # In SQL, so two at once both count and neither is lost.
    user.session_version = User.session_version + 1
    session.flush()


def change_password(session: Session, user: User, current: str, new: str,
                    count_attempt: Callable[[str], None]) -> None:
    """Give *user* the password *new* if *current* is theirs, and end
    every session they have; the caller starts a fresh one for the person
    who changed it. *count_attempt* is called before *current* is checked,
    as in authenticate()."""
    count_attempt(user.username)
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid("Your current password is not right; type it again.",
                      field="current_password")
    problem = rules.password_problem(new or "")
    if problem:
        raise Invalid(problem, field="new_password")
    user.password_hash = _hash_password(new)
    end_sessions(session, user)


def set_time_zone(session: Session, user: User, name: str) -> str:
    """Show *user* exact times in the zone called *name* (an IANA name such
    as "Europe/Berlin"; "UTC" clears the choice). Returns the name kept."""
    name = (name or "").strip()
    if times.zone(name) is None:
        raise Invalid(f"“{name[:64]}” is not a time zone we know. Choose one from the list, "
                      "e.g. Europe/Berlin or America/New_York.", field="time_zone")
    user.time_zone = None if name == "UTC" else name
    session.flush()
    return name


def _hash_method() -> str:
    # Read like commons.clock reads CLOCK: services take no app, and the
    # setting is the app's, not the caller's.
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_HASH_METHOD
    return DEFAULT_HASH_METHOD


def _hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


def _dummy_hash() -> str:
    method = _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not a real password", method=method)
    return _DUMMY_HASHES[method]


def add_email(session: Session, user: User, address: str, now: datetime, *,
              confirmed_at: datetime | None = None) -> Email:
    """Give *user* another address, unconfirmed until its mailed link is
    opened (see register_user for what happens when another account holds
    it, and for *confirmed_at*)."""
    address = normalise_email(address)
    # Lock the account so two additions at once cannot pass the count.
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    mine = session.scalar(sa.select(Email).where(Email.user_id == user.id,
                                                 Email.address == address))
    if mine is not None:
        raise Conflict("That address is already on your account." if mine.confirmed else
                       "That address is already on your account, waiting for you to open "
                       "the link mailed to it; press “Send a new link” to get another.",
                       field="email")
    held = session.scalar(sa.select(sa.func.count()).select_from(Email)
                          .where(Email.user_id == user.id))
    if (held or 0) >= rules.MAX_EMAILS:
        raise Invalid(f"An account holds at most {rules.MAX_EMAILS} addresses; remove one "
                      "you no longer use first.", field="email")
    if confirmed_at is not None:
        _ensure_email_free(session, address, user)
    email = Email(address=address, user=user, created_at=now, confirmed_at=confirmed_at)
    session.add(email)
    _flush_or_conflict(session, "That email address was just claimed by another account.")
    if confirmed_at is None:
        confirming.claim(session, user, email, now, via="settings")
    return email


def remove_email(session: Session, user: User, email_id: int) -> str:
    """Remove one of *user*'s addresses. An account keeps at least one
    address, and once it has a confirmed one it keeps one, so its mail
    always has somewhere to go."""
    email = session.get(Email, email_id)
    if email is None or email.user_id != user.id:
        raise NotFound("That email address is not on your account.")
    # Lock the account so two removals at once cannot leave it with none.
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    address, was_confirmed = email.address, email.confirmed
    user.emails.remove(email)
    session.flush()
    remaining, confirmed = session.execute(
        sa.select(sa.func.count(), sa.func.count(Email.confirmed_at))
        .where(Email.user_id == user.id)).one()
    if remaining == 0:
        session.rollback()
        raise Invalid("This is your only email address; add another before removing it.")
    if was_confirmed and confirmed == 0:
        session.rollback()
        raise Invalid("This is your only confirmed address, where your mail goes; add "
                      "another, open the link mailed to it, then remove this one.")
    return address


def make_primary(session: Session, user: User, email_id: int) -> Email:
    """Send *user*'s mail to one of their confirmed addresses from now on."""
    email = session.get(Email, email_id)
    if email is None or email.user_id != user.id:
        raise NotFound("That email address is not on your account.")
    if not email.confirmed:
        raise Invalid(f"Confirm {email.address} first (open the link mailed to it): only "
                      "a confirmed address receives mail.")
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    # Unmark the others first: one marked address per account (a unique index).
    session.execute(sa.update(Email).where(Email.user_id == user.id, Email.id != email.id,
                                           Email.is_primary).values(is_primary=False))
    email.is_primary = True
    session.flush()
    return email


def owners_of(session: Session, addresses: Iterable[str]) -> dict[str, int]:
    """Which account holds each address: confirmed addresses only, as an
    unconfirmed claim maps no commits and gives no standing."""
    ordered = sorted(set(addresses))
    owners: dict[str, int] = {}
    for start in range(0, len(ordered), _CHUNK):
        owners.update(session.execute(sa.select(Email.address, Email.user_id).where(
            Email.address.in_(ordered[start:start + _CHUNK]), Email.confirmed)).all())
    return owners


def deliverable_address(user: User) -> str | None:
    """Where *user*'s mail goes: their primary confirmed address, or None
    while they have none (then nothing but confirmation links is sent)."""
    return user.primary_email


def deliverable_addresses(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """deliverable_address for many accounts in a few queries; accounts
    without a confirmed address are left out."""
    ids = sorted(set(user_ids))
    chosen: dict[int, tuple[bool, int, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        for user_id, email_id, address, primary in session.execute(
                sa.select(Email.user_id, Email.id, Email.address, Email.is_primary).where(
                    Email.user_id.in_(ids[start:start + _CHUNK]), Email.confirmed)):
            # Marked first, then the oldest: as User.primary chooses.
            rank = (not primary, email_id, address)
            if user_id not in chosen or rank < chosen[user_id]:
                chosen[user_id] = rank
    return {user_id: rank[2] for user_id, rank in chosen.items()}


def create_token(session: Session, user: User, name: str,
                 expires_in_days: int | None = None,
                 *, now: datetime) -> tuple[AccessToken, str]:
    """Make a token for *user*; returns the row and the token, which is
    shown once and never stored."""
    try:
        name = clean_text(name, label="Token name", max_length=100)
    except TextError as error:
        raise Invalid(str(error), field="name") from None
    if expires_in_days not in TOKEN_LIFETIMES_DAYS:
        raise Invalid(
            "Tokens expire after 30, 90 or 365 days, or never.", field="expires_in_days"
        )
    secret = rules.new_token()
    token = AccessToken(
        user=user,
        name=name,
        token_hash=rules.hash_token(secret),
        hint=secret[: len(rules.TOKEN_PREFIX) + 4],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_token(session: Session, user: User, token_id: int,
                 now: datetime) -> AccessToken:
    """Revoke one of *user*'s tokens; revoking twice is harmless."""
    token = session.get(AccessToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("That token is not one of yours.")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def user_for_token(session: Session, secret: str, now: datetime) -> User | None:
    """The owner of a usable token, recording when it was used; else None."""
    if not secret or not secret.startswith(rules.TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(
        sa.select(AccessToken).where(AccessToken.token_hash == rules.hash_token(secret))
    )
    if token is None or not token.is_usable(now):
        return None
    # One write a minute at most, so a busy script does not hammer the row.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        session.flush()
    return token.user


def _ensure_email_free(session: Session, address: str, owner: User | None = None) -> None:
    existing = session.scalar(sa.select(Email).where(Email.address == address,
                                                     Email.confirmed))
    if existing is None:
        return
    if owner is not None and existing.user_id == owner.id:
        raise Conflict("That address is already on your account.", field="email")
    raise Conflict(
        "That email address belongs to another account. If it is yours, "
        "log in to that account or remove it there first.",
        field="email",
    )


def _flush_or_conflict(session: Session, message: str) -> None:
    # Two requests can pass the checks above at once; the unique index
    # decides, and the loser hears why instead of a 500.
    # The whole use case is undone: nothing half-written survives.
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(message) from None
