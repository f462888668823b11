"""/healthz and /readyz, asked of a real gunicorn as a load balancer or an
orchestrator would."""

import json
import os
import socket
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from tests import test_unavailable
from tests.conftest import start_server, stop_server


def get(url: str) -> tuple[int, dict, dict]:
    """Status, JSON body and headers, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), dict(error.headers)


def dead_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(make_app, database_uri, tmp_path):
    make_app()  # empties the tables afterwards, like every other test
    servers = []

    def start(**env):
        server, base, log = start_server(database_uri, tmp_path, {
            f"COMMONS_{name}": value for name, value in env.items()})
        servers.append(server)
        return base, log
    yield start
    for server in servers:
        stop_server(server)


def test_a_healthy_instance_is_alive_and_ready(serve):
    base, _ = serve()
    assert get(base + "/healthz")[:2] == (200, {"status": "alive"})
    status, body, headers = get(base + "/readyz")
    assert status == 200, body
    assert body == {"status": "ready", "checks": {
        "database": "ok", "repositories": "ok", "evidence": "ok"}}
    assert headers["Cache-Control"] == "no-store"


def test_ready_checks_redis_when_a_setting_names_it(serve):
    redis_url = os.environ.get("COMMONS_TEST_REDIS_URL") or pytest.skip(
        "set COMMONS_TEST_REDIS_URL to check readiness against a live Redis")
    base, _ = serve(RATELIMIT_STORAGE_URI=redis_url, QUEUE_URL=redis_url)
    status, body, _ = get(base + "/readyz")
    assert status == 200, body
    assert body["checks"]["rate_limit_storage"] == "ok" and body["checks"]["queue"] == "ok"


def test_a_dead_redis_makes_the_instance_unready_but_alive(serve):
    base, log = serve(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{dead_port()}/3")
    status, body, _ = get(base + "/readyz")
    assert status == 503
    assert body["status"] == "unready" and body["failing"] == ["rate_limit_storage"]
    assert body["checks"] == {"database": "ok", "rate_limit_storage": "unreachable",
                              "repositories": "ok", "evidence": "ok"}
    # Alive all the same: restarting it would not bring Redis back.
    assert get(base + "/healthz")[0] == 200
    # The answer says which; the log says why.
    assert "readiness: rate_limit_storage: unreachable" in log.read_text()
    assert "Connection refused" in log.read_text()


def test_an_unwritable_repository_folder_makes_it_unready_until_it_is_fixed(serve, tmp_path):
    # A file where the folder's parent should be: nothing can be created
    # there, for root too (the suite may run as root, which ignores modes).
    blocked = tmp_path / "storage"
    blocked.write_text("not a folder")
    base, _ = serve(REPOS_DIR=str(blocked / "repos"))
    status, body, _ = get(base + "/readyz")
    assert status == 503
    assert body["failing"] == ["repositories"]
    assert body["checks"]["repositories"] == "not writable"
    assert get(base + "/healthz")[0] == 200

    # The storage comes back (remounted): ready again, without a restart,
    # and the probe left nothing behind.
    blocked.unlink()
    blocked.mkdir()
    status, body, _ = get(base + "/readyz")
    assert status == 200, body
    assert list(blocked.iterdir()) == [blocked / "repos"]
    assert list((blocked / "repos").iterdir()) == []



# PostgreSQL behind a proxy the test breaks (tests/faults.py, as in
# tests/test_unavailable.py, whose migrated database this reuses).
postgres_uri = test_unavailable.postgres_uri
database_proxy = test_unavailable.database_proxy


def test_an_unreachable_database_is_named_and_ready_again_without_restart(
        make_app, postgres_uri, database_proxy, tmp_path):
    make_app(SQLALCHEMY_DATABASE_URI=postgres_uri)
    through = sa.engine.make_url(postgres_uri).set(host="127.0.0.1", port=database_proxy.port)
    server, base, _ = start_server(through.render_as_string(hide_password=False), tmp_path,
                                   test_unavailable.SHORT_TIMEOUTS)
    try:
        assert get(base + "/readyz")[0] == 200
        # Black-holed: the check gives up at the connect timeout, not never.
        database_proxy.black_hole()
        status, body, _ = get(base + "/readyz")
        assert status == 503
        assert body["failing"] == ["database"] and body["checks"]["database"] == "unreachable"
        assert get(base + "/healthz")[0] == 200
        database_proxy.open()
        assert get(base + "/readyz")[0] == 200
    finally:
        stop_server(server)
