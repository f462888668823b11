"""Checks every request passes before any view, CSRF check or query sees it."""

from flask import Flask, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from commons.errors import error_response

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_app(app: Flask) -> None:
    """Register the guards; call before CSRFProtect so a body that cannot be
    read is reported as such, not as a missing CSRF token."""
    app.before_request(refuse_unreadable_input)
    app.register_error_handler(RecursionError, _too_deep)


def _too_deep(error: RecursionError):
    # json.loads recurses once per level of nesting; thousands of [[[ ]]]
    # would otherwise end as a 500.
    return error_response(400, "The JSON body is nested too deeply to read.")


def refuse_unreadable_input() -> None:
    # Text columns cannot hold NUL (PostgreSQL refuses it outright), and no
    # name, slug, query or password has a use for it.
    if "\x00" in request.path or b"%00" in request.query_string.lower() \
            or b"\x00" in request.query_string:
        raise BadRequest("The address contains a NUL character (%00); remove it.")
    authorization = request.authorization
    if authorization is not None and any(
            "\x00" in (value or "") for value in (authorization.username, authorization.password,
                                                 authorization.token)):
        raise BadRequest("The Authorization header contains a NUL character; remove it.")
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and _is_page(request.path) \
            and (request.content_length or request.headers.get("Transfer-Encoding")) \
            and request.mimetype not in _FORM_TYPES:
        raise UnsupportedMediaType("Pages take HTML forms; use the JSON API under /api/v1 "
                                   "for anything else.")
    if request.mimetype in _FORM_TYPES and request.content_length:
        if not request.form and not request.files:
            raise BadRequest("The form data could not be read; send it as UTF-8 text. "
                             "Reload the page and try again.")
        if any("\x00" in value for value in request.form.values()):
            raise BadRequest("The form contains a NUL character; remove it and send it again.")


def _is_page(path: str) -> bool:
    """Web pages, as opposed to the JSON API and git's smart HTTP."""
    return not path.startswith("/api/") and ".git/" not in path
