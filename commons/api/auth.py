"""Who is calling the API: a Bearer token, never a session cookie."""

from functools import wraps

from flask import current_app, g, request
from flask_smorest import abort

from commons import clock
from commons.accounts import services
from commons.accounts.models import User
from commons.extensions import db

BEARER_CHALLENGE = 'Bearer realm="commons"'


def current_api_user() -> User | None:
    """The owner of the request's Bearer token, None when no token is sent.
    A token that is sent but unusable is refused with 401."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    if not header:
        g.api_user = None
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, message="Send your token as “Authorization: Bearer <token>”.",
              headers={"WWW-Authenticate": BEARER_CHALLENGE})
    user = services.user_for_token(db.session, secret.strip(), now=clock.now())
    if user is None:
        abort(401, message="That token is unknown, expired or revoked. Create a new one "
                           "at /settings or with POST /api/v1/tokens.",
              headers={"WWW-Authenticate": BEARER_CHALLENGE})
    db.session.commit()  # keeps last_used_at even when the call itself fails
    g.api_user = user
    return user


def check_sent_token() -> None:
    """Run before every API view: a token that is sent is checked even where
    none is needed, so a script with a revoked or mistyped token hears 401
    at once instead of quietly reading as an anonymous caller. Views that
    read the Authorization header themselves (HTTP Basic to create a token)
    are marked with :func:`own_authorization`."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "own_authorization", False):
        return
    current_api_user()


def own_authorization(view):
    """Mark *view* as reading the Authorization header itself. Put it
    innermost: functools.wraps carries the mark up through the decorators
    above it."""
    view.own_authorization = True
    return view


def require_api_user() -> User:
    """The caller, or a 401 that says how to authenticate."""
    user = current_api_user()
    if user is None:
        abort(401, message="This needs a token: send “Authorization: Bearer <token>”. "
                           "Create one at /settings or with POST /api/v1/tokens.",
              headers={"WWW-Authenticate": BEARER_CHALLENGE})
    assert user is not None  # abort() raised; flask_smorest has no types to say so
    return user


def token_required(view):
    """Refuse calls without a usable token before the body is even read, so
    an anonymous caller hears 401, not a complaint about the body."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        require_api_user()
        return view(*args, **kwargs)
    return wrapper
