"""Proof that a person holds an address: the signed link mailed to it, and
what opening it does. Until the link is opened the address is a claim that
maps no commits, gives no standing and receives nothing but that link."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commons import mail
from commons.accounts import rules
from commons.accounts.models import Email, User
from commons.problems import Conflict, Forbidden, Problem

SALT = "commons.accounts.confirm-address"
DEFAULT_MAX_AGE = 2 * 86400


class Gone(Problem):
    """A link that was good once and no longer is."""

    status = 410


def _serializer(now: datetime) -> URLSafeTimedSerializer:
    # itsdangerous stamps and checks with time.time(); ours comes from the
    # application's clock, so tests (and `--now`) move it.
    stamp = int(now.timestamp())

    class AtNow(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=AtNow)


def max_age() -> int:
    """How long a confirmation link lasts, in seconds."""
    return int(current_app.config.get("EMAIL_CONFIRM_MAX_AGE") or DEFAULT_MAX_AGE)


def owner_of(session: Session, address: str) -> User | None:
    """The account that confirmed *address*, if any."""
    return session.scalar(sa.select(User).join(Email).where(
        Email.address == address, Email.confirmed))


def claim(session: Session, user: User, email: Email, now: datetime, *, via: str) -> None:
    """What follows adding an unconfirmed *email* to *user*: its link, sent
    to it; or, when another account holds the address, a word to that
    account instead. The caller answers the same either way, so nobody
    learns from the answer whether an address has an account. *via* is
    "register" or "settings", for the word to the holder."""
    holder = owner_of(session, email.address)
    email.confirm_sent_at = now
    session.flush()
    if holder is not None and holder.id != user.id:
        mail.send(session, to=email.address,
                  subject="Someone tried to use your address on commons",
                  template="accounts/address_taken",
                  context={"username": holder.username, "address": email.address, "via": via,
                           "login_link": mail.absolute_url("accounts.login"),
                           "settings_link": mail.absolute_url("accounts.settings")})
        return
    link = mail.absolute_url("accounts.confirm_email", token=_token(email, now))
    mail.send(session, to=email.address, subject="Confirm your address on commons",
              template="accounts/confirm",
              context={"username": user.username, "address": email.address, "link": link,
                       "lifetime": rules.lifetime_words(max_age())})


def resend(session: Session, user: User, email_id: int, now: datetime) -> Email:
    """Send a fresh link for one of *user*'s unconfirmed addresses; the
    earlier links stop working."""
    email = session.get(Email, email_id)
    if email is None or email.user_id != user.id:
        raise Gone("That address is not on your account (any more).")
    if email.confirmed:
        raise Conflict(f"{email.address} is already confirmed.")
    if email.confirm_sent_at is not None and \
            not rules.may_resend(email.confirm_sent_at, now):
        raise Conflict(f"A link was sent to {email.address} less than a minute ago. "
                       "Look for it (and in your spam folder), or try again in a minute.")
    claim(session, user, email, now, via="settings")
    return email


def confirm(session: Session, user: User, token: str, now: datetime) -> Email:
    """Confirm the address a link was made for, if *user* added it and the
    link is the latest sent, unexpired and unused; raise a Problem saying
    what is wrong otherwise, having changed nothing."""
    try:
        payload, signed_at = _serializer(now).loads(token, max_age=max_age(),
                                                     return_timestamp=True)
    except SignatureExpired:
        raise Gone(f"This confirmation link has expired: links last "
                   f"{rules.lifetime_words(max_age())}. Open Settings and press “Send a new "
                   "link” beside the address.") from None
    except BadSignature:
        raise Problem("This confirmation link is damaged or was not made by this site. "
                      "Copy the whole link from the mail, or send a new one from "
                      "Settings.") from None
    link = rules.confirmation_payload(payload)
    if link is None:
        raise Problem("This confirmation link is damaged. Copy the whole link from the "
                      "mail, or send a new one from Settings.")
    if link.user_id != user.id:
        raise Forbidden("This link confirms an address for another account. Log out, log "
                        "in as the account that added the address and open it again.")
    email = session.scalar(sa.select(Email).where(Email.id == link.email_id)
                           .with_for_update())
    if email is None or email.user_id != user.id or email.address != link.address:
        raise Gone("This address is no longer on your account, so the link does nothing. "
                   "Add the address again in Settings to get a new link.")
    if email.confirmed:
        raise Gone(f"This link was already used: {email.address} is confirmed.")
    sent = email.confirm_sent_at
    if sent is None or int(sent.timestamp()) != int(signed_at.timestamp()):
        raise Gone(f"A newer link was sent to {email.address}; this one no longer works. "
                   "Open the newest mail, or send a new link from Settings.")
    if owner_of(session, email.address) is not None:
        raise Conflict(f"{email.address} belongs to another account, which confirmed it "
                       "first. If it is yours, log in to that account.")
    email.confirmed_at = now
    try:
        session.flush()
    except IntegrityError:  # another account confirmed it at the same moment
        session.rollback()
        raise Conflict(f"{email.address} was just confirmed by another account.") from None
    return email


def _token(email: Email, now: datetime) -> str:
    return _serializer(now).dumps(rules.confirmation_data(email.id, email.user_id,
                                                          email.address))
