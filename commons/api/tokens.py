"""POST /tokens with a password; list and revoke with a token."""

from functools import wraps

from flask import g, request
from flask_smorest import Blueprint, abort

from commons import clock
from commons.accounts import services
from commons.accounts.attempts import TooManyAttempts, count_password_attempt
from commons.api import schemas
from commons.api.auth import own_authorization, require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db

blp = Blueprint("api_tokens", __name__, description="Personal access tokens")

BASIC_CHALLENGE = 'Basic realm="commons"'


def password_required(view):
    """Check HTTP Basic username and password before the body is read."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username:
            abort(401, message="Send your username and password with HTTP Basic auth "
                               "to create a token.", headers={"WWW-Authenticate": BASIC_CHALLENGE})
        try:
            user = services.authenticate(db.session, auth.username, auth.password or "",
                                         count_password_attempt)
        except TooManyAttempts as refusal:
            abort(429, message=refusal.message,
                  headers={"Retry-After": str(refusal.retry_after)})
        if user is None:
            abort(401, message="That username and password do not match.",
                  headers={"WWW-Authenticate": BASIC_CHALLENGE})
        g.password_user = user
        return view(*args, **kwargs)
    return wrapper


@blp.route("/tokens", methods=["POST"])
@password_required
@blp.arguments(schemas.TokenCreate)
@blp.response(201, schemas.NewToken)
@blp.doc(security=[{"basic": []}])
@own_authorization
@refuses(429)
def create_token(body):
    """Create a token with your username and password (HTTP Basic)."""
    user = g.password_user
    token, secret = services.create_token(db.session, user, body["name"], body["expires_in_days"],
                                          now=clock.now())
    db.session.commit()
    return {**_token_json(token), "token": secret}


@blp.route("/tokens", methods=["GET"])
@token_required
@blp.response(200, schemas.Token(many=True))
@blp.doc(security=[{"bearer": []}])
def list_tokens():
    """Your tokens, with when each was last used (never the tokens themselves)."""
    return [_token_json(t) for t in require_api_user().tokens]


@blp.route("/tokens/<int(max=2147483647):token_id>", methods=["DELETE"])
@token_required
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    services.revoke_token(db.session, require_api_user(), token_id, now=clock.now())
    db.session.commit()


def _token_json(token) -> dict:
    return {name: getattr(token, name) for name in
            ("id", "name", "hint", "created_at", "expires_at", "last_used_at", "revoked_at")}
