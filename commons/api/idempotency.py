"""``Idempotency-Key`` on API POSTs: a client whose connection broke after
sending can send the same request again, with the same key, and get the
first answer instead of doing it twice.

A key is claimed (a row, committed) before the view runs, so a second
request with it waits its turn: while the first is running it answers 409
with Retry-After. The view's own commit marks the claim as written in the
same transaction (a ``before_commit`` listener), so that a claim is never
left unmarked once something was saved. Once the view has answered, a
success (or any answer after something was saved) is stored beside the
key and replayed to every retry for KEY_LIFETIME; an error that saved
nothing frees the key, so the retry runs afresh. A claim whose request
died before saving anything is taken over after IN_FLIGHT_TIMEOUT.

Keys belong to an account (the caller's token): the same key from two
accounts names two requests. The request is fingerprinted (method, path,
query, content type and body): the same key with another request answers
422. POST /api/v1/tokens takes no key: its answer holds the new token's
secret, which the server never keeps.
"""

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request
from flask.cli import AppGroup
from sqlalchemy.orm import Session
from werkzeug.wsgi import get_input_stream

from commons import clock
from commons.api.auth import current_api_user
from commons.api.models import MAX_KEY_LENGTH, IdempotencyKey
from commons.errors import error_response
from commons.extensions import db

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)
# The answer's headers a retry gets back (the rest are per response).
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
log = logging.getLogger(__name__)


@dataclass
class _Claim:
    id: int
    running: bool = True
    written: bool = False


def init_app(app: Flask, blueprints: list[Blueprint]) -> None:
    """Honour the header on every POST of *blueprints* (after the token is
    checked), and add ``flask api prune-idempotency-keys``."""
    for blueprint in blueprints:
        app.before_request_funcs.setdefault(blueprint.name, []).append(_claim_key)
        app.after_request_funcs.setdefault(blueprint.name, []).append(_keep_answer)
    app.teardown_request(_close_spool)
    app.cli.add_command(api_cli)


def prune_idempotency_keys(session: Session, now: datetime,
                           lifetime: timedelta = KEY_LIFETIME) -> int:
    """Forget keys sent more than *lifetime* before *now* (their retries run
    as new requests); the number forgotten. Flushes, never commits."""
    result = session.execute(sa.delete(IdempotencyKey)
                             .where(IdempotencyKey.created_at < now - lifetime))
    return result.rowcount or 0  # type: ignore[attr-defined]


api_cli = AppGroup("api", help="The JSON API.")


@api_cli.command("prune-idempotency-keys")
def prune_command() -> None:
    """Forget Idempotency-Keys older than 24 hours (run it hourly or daily;
    safe beside the web server)."""
    count = prune_idempotency_keys(db.session, clock.now())
    db.session.commit()
    click.echo(f"forgot {count} idempotency key{'s' if count != 1 else ''}")


# ---------------------------------------------------------------- requests

def _claim_key() -> Response | None:
    if request.method != "POST" or HEADER not in request.headers:
        return None
    key = request.headers[HEADER]
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()
            and key.strip() == key):
        return error_response(400, f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} "
                                   "visible ASCII characters, e.g. a random UUID; send a "
                                   "new one with each new request.")
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "own_authorization", False):
        return error_response(400, f"This request takes no {HEADER}: its answer holds a "
                                   "secret the server never keeps. Send it without the "
                                   "header; if a retry made a second token, revoke the one "
                                   "you do not use.")
    user = current_api_user()
    if user is None:
        return None  # the view refuses the anonymous caller (401) anyway
    fingerprint = _fingerprint()
    now = clock.now()
    while True:
        found = db.session.scalar(sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user.id, IdempotencyKey.key == key))
        if found is None:
            row = IdempotencyKey(user_id=user.id, key=key, fingerprint=fingerprint,
                                 created_at=now)
            db.session.add(row)
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                db.session.rollback()  # the same key, sent at the same moment
                continue
            g.idempotency_claim = _Claim(row.id)
            return None
        answer = _answer_for(found, fingerprint, now)
        if answer is _EXPIRED:
            db.session.delete(found)  # not yet pruned: the key is new again
            db.session.commit()
            continue
        db.session.rollback()
        if isinstance(answer, Response):
            return answer
        # A claim abandoned before anything was saved: take it over, unless
        # another retry just did.
        taken = db.session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.id == found.id, IdempotencyKey.created_at == found.created_at,
                   IdempotencyKey.status.is_(None), IdempotencyKey.written_at.is_(None))
            .values(created_at=now, fingerprint=fingerprint))
        db.session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            g.idempotency_claim = _Claim(found.id)
            return None


_EXPIRED, _ABANDONED = object(), object()


def _answer_for(found: IdempotencyKey, fingerprint: str, now: datetime) -> Response | object:
    """What a request with a key already claimed gets: the stored answer or
    a refusal; else _EXPIRED (the key may be used afresh) or _ABANDONED
    (its claim may be taken over)."""
    if found.created_at < now - KEY_LIFETIME and (found.status is not None
                                                  or found.written_at is None):
        return _EXPIRED
    if found.fingerprint != fingerprint:
        return error_response(422, f"This {HEADER} was already sent with a different request "
                                   "(another address, or another body). A key stands for one "
                                   "request: send a new key with a new request.")
    if found.status is not None:
        headers = json.loads(found.headers or "{}")
        response = Response(found.body or b"", found.status, headers)
        response.headers[REPLAYED] = "true"
        return response
    if found.written_at is not None and found.created_at < now - IN_FLIGHT_TIMEOUT:
        return error_response(409, f"The request first sent with this {HEADER} was carried "
                                   "out, but its answer was lost. Read the result (GET) "
                                   "instead of sending it again.")
    if found.written_at is None and found.created_at < now - IN_FLIGHT_TIMEOUT:
        return _ABANDONED
    response = error_response(409, f"A request with this {HEADER} is still being carried "
                                   "out. Wait a moment, then send it again with the same key "
                                   "to get its answer.")
    response.headers["Retry-After"] = "1"
    return response


def _keep_answer(response: Response) -> Response:
    claim: _Claim | None = g.pop("idempotency_claim", None)
    if claim is None:
        return response
    claim.running = False
    try:
        db.session.rollback()  # whatever the view left unfinished is not ours
        if response.status_code < 400 or claim.written:
            headers = {name: response.headers[name] for name in KEPT_HEADERS
                       if name in response.headers}
            db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim.id)
                               .values(status=response.status_code, body=response.get_data(),
                                       headers=json.dumps(headers)))
        else:  # nothing was saved: a retry may try again
            db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == claim.id))
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.exception("the answer to %s %s could not be kept for its %s",
                      request.method, request.path, HEADER)
    return response


@sa.event.listens_for(Session, "before_commit")
def _mark_written(session: Session) -> None:
    """The view's commit marks its claim as written, in its own transaction."""
    if not has_request_context():
        return
    claim: _Claim | None = g.get("idempotency_claim")
    if claim is None or not claim.running or claim.written:
        return
    claim.written = True
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim.id)
                    .values(written_at=clock.now()))


# ---------------------------------------------------------------- the request

def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1"),
                 request.mimetype):
        digest.update(part.encode() + b"\0")
    if request.mimetype in _FORM_TYPES:
        # Read already (commons.guards checks forms): its fields, in order.
        fields = sorted(request.form.items(multi=True))
        files = sorted((name, file.filename or "") for name, file in request.files.items(multi=True))
        digest.update(json.dumps([fields, files]).encode())
    else:
        _spool_body(digest)
    return digest.hexdigest()


def _spool_body(digest) -> None:
    """Hash the body while copying it aside, then give the view the copy: it
    reads the same bytes. At most the largest body any API POST takes (plus
    one byte, so the view still sees that it is too large) is read."""
    cap = max(int(current_app.config.get("MAX_CONTENT_LENGTH") or 0),
              int(current_app.config.get("EVIDENCE_MAX_BYTES") or 0)) + 1
    source = get_input_stream(request.environ, safe_fallback=True, max_content_length=None)
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    size = 0
    while size < cap and (chunk := source.read(min(65536, cap - size))):
        digest.update(chunk)
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)
    request.environ["wsgi.input"] = spool
    request.environ["CONTENT_LENGTH"] = str(size)
    request.environ.pop("HTTP_TRANSFER_ENCODING", None)
    request.environ["wsgi.input_terminated"] = False
    # Werkzeug caches these on first use; none was used before this runs.
    for cached in ("stream", "content_length"):
        request.__dict__.pop(cached, None)
    g.idempotency_spool = spool  # closed at teardown


def _close_spool(_error: BaseException | None = None) -> None:
    if (spool := g.pop("idempotency_spool", None)) is not None:
        spool.close()
