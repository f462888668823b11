"""Error answers: an HTML page for people, JSON ``{"error": ...}`` under
/api. Every answer says what went wrong and what to do; none is a bare 500."""

import logging

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from commons.extensions import db, login_manager
from commons.problems import Problem

log = logging.getLogger(__name__)

ADVICE = {
    400: "The request could not be read. Check what you sent and try again.",
    401: "Log in, or send a valid token, and try again.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address. Check it, or start from the project list.",
    405: "This address does not accept that method.",
    413: "What you sent is too large.",
    429: "Too many attempts in a short time. Wait a minute, then try again.",
    500: "Something broke on our side and nothing was saved. Try again; if it "
         "keeps happening, tell the site's administrators.",
    503: "The site cannot reach its database just now (it is down, or too slow to "
         "answer), so nothing was read or saved. Try again in a minute; if it lasts, "
         "tell the site's administrators.",
}

# What the database driver raises when the server cannot be reached, is
# too slow (connect or statement timeout, a pool with no free connection)
# or drops the connection: the request may succeed once it is back.
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Problem, _problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _internal_error)
    for error in UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def wants_plain_text() -> bool:
    # git prints text/plain error bodies to the person at the terminal.
    return request.path.startswith("/projects/") and ".git/" in request.path


def error_response(status: int, message: str, **extra) -> Response:
    if wants_json():
        response = jsonify({"error": message, **extra})
    elif wants_plain_text():
        response = make_response(message + "\n")
        response.mimetype = "text/plain"
    else:
        response = make_response(
            render_template("errors/error.html", status=status, message=message))
    response.status_code = status
    return response


def _csrf_error(error: CSRFError):
    return error_response(
        400,
        "This form could not be checked as coming from this site (its security "
        "token is missing or stale). Go back, reload the page and send the form again.",
    )


def _problem(problem: Problem):
    db.session.rollback()
    extra = {"field": problem.field} if problem.field else {}
    if problems := problem.extra.get("problems"):
        extra["errors"] = problems
    if (number := problem.extra.get("proposal")) is not None:
        extra["proposal"] = number  # the proposal the conflict is with
    return error_response(problem.status, problem.message, **extra)


def _http_error(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        # webargs validation: {"json": {"field": ["message", ...]}}
        flat = _flatten(messages.get("json", messages))
        summary = "; ".join(f"{field}: {text}" for field, text in flat.items())
        message = f"The request body is not valid ({summary}). Fix those fields and send it again."
        response = error_response(status, message, errors=flat)
    else:
        message = data.get("message") or _description(error) or ADVICE.get(status, error.name)
        response = error_response(status, message)
    if error.response is not None:
        for name in ("WWW-Authenticate", "Retry-After"):
            if name in error.response.headers:
                response.headers[name] = error.response.headers[name]
    response.headers.update(data.get("headers", {}))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        response.headers.setdefault("Retry-After", "60")
    return response


def _internal_error(error: InternalServerError):
    db.session.rollback()
    return error_response(500, ADVICE[500])


def _database_unavailable(error: Exception):
    log.error("the database is unavailable (%s %s answered 503): %s",
              request.method, request.path, str(error).splitlines()[0] if str(error) else error)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the connection is gone already)
        pass
    # The page's layout asks who is logged in, which needs the database:
    # show it as to someone logged out instead of failing again.
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    response = error_response(503, ADVICE[503])
    response.headers["Retry-After"] = str(current_app.config.get("UNAVAILABLE_RETRY_AFTER", 30))
    return response


def _description(error: HTTPException) -> str | None:
    # Werkzeug's stock descriptions are generic; keep only ones we wrote.
    default = type(error).description
    if error.code == 429:
        return ADVICE[429]
    return error.description if error.description and error.description != default else None


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}{key}." if not isinstance(value, list) else f"{prefix}{key}"))
    elif isinstance(messages, list):
        flat[prefix.rstrip(".") or "body"] = " ".join(str(m) for m in messages)
    else:
        flat[prefix.rstrip(".") or "body"] = str(messages)
    return flat
