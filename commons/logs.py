"""Request ids: every request has one, answered in ``X-Request-Id`` and
written in every log line the app writes while serving it.

An id a proxy (or a client) sends is kept when it looks like an id, so one
request can be followed from nginx through gunicorn to the app; anything
else (too long, spaces, control characters that could forge log lines) is
replaced by a fresh one. The id lives in a context variable set by a WSGI
middleware, not in Flask's request context: a git response streams after
the view returns, and what runs when it closes (recording a push) logs
under the same id.
"""

import logging
import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from flask import Flask
from flask.logging import default_handler, wsgi_errors_stream
from werkzeug.wsgi import ClosingIterator

HEADER = "X-Request-Id"
ENVIRON_KEY = "commons.request_id"
# UUIDs, nginx's $request_id (32 hex digits), base64 and dotted ids fit;
# whitespace and control characters never do.
VALID_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] [%(request_id)s] %(name)s: %(message)s"

_current: ContextVar[str | None] = ContextVar("commons_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this thread, if any."""
    return _current.get()


def request_id_for(sent: str | None) -> str:
    """*sent* when it is a usable id, else a new one (32 hex digits)."""
    if sent and VALID_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request). Name it
    in a logging configuration of your own to keep the ids:
    ``filters: {request_id: {(): commons.logs.RequestIdFilter}}``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True


class RequestIdMiddleware:
    """Give each request its id before anything else sees it, answer it in
    the ``X-Request-Id`` header, and forget it once the response is closed."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = request_id
        environ["HTTP_X_REQUEST_ID"] = request_id  # what the app reads is what it answers
        _current.set(request_id)

        def start_with_id(status: str, headers: list, exc_info: Any = None) -> Any:
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start_with_id)
        except BaseException:
            _forget()
            raise
        # Forgotten after the body's own close: what runs then (a push
        # recorded after git answered) still logs under this id.
        return ClosingIterator(body, [_forget])


def _forget() -> None:
    _current.set(None)


def init_app(app: Flask) -> None:
    """Wrap the app in the middleware and write the ``commons`` loggers'
    lines (every module's ``logging.getLogger(__name__)``) with the request
    id, at ``LOG_LEVEL``, to the server's error stream (gunicorn's error log)."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    logger = logging.getLogger(app.import_name)
    logger.setLevel(app.config.get("LOG_LEVEL") or "INFO")
    logger.removeHandler(default_handler)  # Flask's, which has no request id
    if not any(isinstance(handler, _Handler) for handler in logger.handlers):
        logger.addHandler(_Handler())


class _Handler(logging.StreamHandler):
    # wsgi_errors_stream: the request's wsgi.errors inside a request (gunicorn
    # sends it to its error log), stderr outside one, as Flask's own handler.
    def __init__(self) -> None:
        super().__init__(wsgi_errors_stream)  # type: ignore[arg-type]
        self.addFilter(RequestIdFilter())
        self.setFormatter(logging.Formatter(FORMAT))
