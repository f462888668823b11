"""Logged-in sessions: what a session carries and when it stops counting.

The session cookie is signed, not stored, so a copy of it works wherever it
is sent. Two things in it end every copy at once: the account's session
version (raised on logging out, changing the password and "Log out
everywhere") and the time of logging in (the session lifetime counts from
it, by the app's clock, so tests can move it)."""

from flask import current_app, session
from flask_login import login_user
from sqlalchemy.orm import undefer

from commons import clock
from commons.accounts import rules
from commons.accounts.models import User
from commons.extensions import db, login_manager

LOGGED_IN_AT = "logged_in_at"
_LARGEST_ID = 2**31 - 1


def start_session(user: User) -> None:
    """Log *user* in in this browser, for the configured lifetime."""
    login_user(user)
    session.permanent = True  # the cookie expires too, not only our check
    session[LOGGED_IN_AT] = int(clock.now().timestamp())


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # Flask-Login also calls this for a remember-me cookie; such a session
    # has no LOGGED_IN_AT and is refused (commons sets no remember cookie).
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or int(user_id) > _LARGEST_ID:
        return None
    if rules.session_expired(session.get(LOGGED_IN_AT), clock.now(),
                             current_app.permanent_session_lifetime):
        return None
    user = db.session.get(User, int(user_id), options=[undefer(User.session_version)])
    if user is None or str(user.session_version) != version:
        return None
    return user
