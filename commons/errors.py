"""Error answers: an HTML page for people, JSON ``{"error": ...}`` under
/api. Every answer says what went wrong and what to do; none is a bare 500."""

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from commons.extensions import db
from commons.problems import Problem

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
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Problem, _problem)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _internal_error)


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
