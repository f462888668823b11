"""Request ids through a real gunicorn: answered in X-Request-Id, written in
the app's log lines and gunicorn's access line for the same request."""

import logging
import re
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import start_server, stop_server
from tests.test_health import dead_port

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def server(make_app, database_uri, tmp_path):
    """An instance whose /readyz logs a warning (its Redis is down), with
    gunicorn's access log on."""
    make_app()
    server, base, log = start_server(database_uri, tmp_path, {
        "COMMONS_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{dead_port()}/3",
        "GUNICORN_CMD_ARGS": "--access-logfile -"})
    yield base, log
    stop_server(server)


def request_id(url: str, sent: str | None = None) -> str:
    request = urllib.request.Request(url, headers={"X-Request-Id": sent} if sent else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Request-Id"]
    except urllib.error.HTTPError as error:
        return error.headers["X-Request-Id"]


def lines_with(log, text: str, wait_for: str | None = None) -> list[str]:
    """The log's lines holding *text*; first wait until one also holds
    *wait_for*, if given (gunicorn writes its access line after the
    response is sent; the app's lines are written before)."""
    deadline = time.monotonic() + 10
    while True:
        found = [line for line in log.read_text().splitlines() if text in line]
        if wait_for is None or any(wait_for in line for line in found) \
                or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_each_request_gets_an_id_that_its_log_lines_carry(server):
    base, log = server
    first, second = request_id(base + "/readyz"), request_id(base + "/readyz")
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second
    # The app's warning for this request, and gunicorn's access line.
    logged = lines_with(log, first, wait_for='"GET /readyz HTTP/1.1" 503')
    assert any("[WARNING]" in line and "readiness: rate_limit_storage" in line
               for line in logged), log.read_text()
    assert any('"GET /readyz HTTP/1.1" 503' in line and line.endswith(f"request_id={first}")
               for line in logged), log.read_text()
    assert not any(second in line for line in lines_with(log, first))


def test_an_id_sent_by_the_proxy_is_kept(server):
    base, log = server
    sent = "nginx-7f3c2a9e.0001"
    assert request_id(base + "/readyz", sent) == sent
    assert any("readiness: rate_limit_storage" in line for line in lines_with(log, sent))
    assert request_id(base + "/healthz", "0b9c7a34-6f47-4c3e-9d2a-59a1b7d5e2f1") == \
        "0b9c7a34-6f47-4c3e-9d2a-59a1b7d5e2f1"


def test_a_malformed_id_is_replaced(server):
    base, log = server
    # Spaces, quotes and control characters could forge or split log lines.
    for sent in ["two words", "x" * 129, "semi;colon", 'quote"d', "tab\there", "ünïcode"]:
        answered = request_id(base + "/readyz", sent)
        assert GENERATED.fullmatch(answered), (sent, answered)
        assert lines_with(log, answered)
        assert not lines_with(log, sent)


def test_what_runs_after_the_response_closed_logs_under_its_id(make_app, caplog):
    # As a push is recorded once git has answered: a call_on_close callback,
    # outside Flask's request context. (In-process: no route of the app
    # logs there on demand.)
    app = make_app()

    @app.get("/slow-afterwork")
    def afterwork():
        response = app.response_class("answered\n")
        response.call_on_close(lambda: logging.getLogger("commons.test").warning("afterwork"))
        return response

    with caplog.at_level(logging.INFO, logger="commons"):
        answered = app.test_client().get("/slow-afterwork", buffered=True)  # closes it
    [record] = [record for record in caplog.records if record.getMessage() == "afterwork"]
    assert record.request_id == answered.headers["X-Request-Id"]
    # Forgotten once the request is over.
    logging.getLogger("commons.test").warning("later")
    assert caplog.records[-1].request_id == "-"
