"""A token that is sent is checked on every API route, reading ones too: a
script with a revoked or mistyped token hears 401 at once instead of quietly
reading as an anonymous caller (and missing what only its owner may see)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import TEST_PASSWORD, basic, bearer

DRYER = {"name": "Solar dryer", "slug": "solar-dryer", "license": "CERN-OHL-S-2.0",
         "description": "Dries food with sunlight."}

READS = [
    "/api/v1/projects",
    "/api/v1/projects/solar-dryer",
    "/api/v1/projects/solar-dryer/proposals",
    "/api/v1/projects/solar-dryer/inputs",
    "/api/v1/projects/solar-dryer/ledger",
    "/api/v1/projects/solar-dryer/ledger.csv",
    "/api/v1/projects/solar-dryer/contributors",
    "/api/v1/projects/solar-dryer/credits",
    "/api/v1/users/alice",
    # Refused before anything is looked up: a bad token never learns what exists.
    "/api/v1/projects/no-such-project",
]


class Clock:
    def __init__(self):
        self.at = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.at


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


@pytest.fixture
def alice(client, token_for):
    token = token_for("alice")
    assert client.post("/api/v1/projects", json=DRYER, headers=bearer(token)).status_code == 201
    return token


def assert_refused(response, path):
    assert response.status_code == 401, (path, response.status_code)
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), path
    assert "unknown, expired or revoked" in response.get_json()["error"], path


@pytest.mark.parametrize("path", READS)
def test_a_bad_token_on_a_read_is_401_not_anonymous(client, alice, path):
    assert client.get(path).status_code in (200, 404), path  # anonymous still reads
    assert_refused(client.get(path, headers=bearer("not-a-token")), path)


def test_a_revoked_token_on_reads_is_401(client, alice):
    [token] = client.get("/api/v1/tokens", headers=bearer(alice)).get_json()
    assert client.get("/api/v1/projects/solar-dryer", headers=bearer(alice)).status_code == 200
    assert client.delete(f"/api/v1/tokens/{token['id']}", headers=bearer(alice)).status_code == 204
    for path in READS:
        assert_refused(client.get(path, headers=bearer(alice)), path)


def test_an_expired_token_on_reads_is_401(client, runner, clock):
    runner.invoke(args=["users", "create", "alice", "alice@example.org",
                        "--password", TEST_PASSWORD])
    created = client.post("/api/v1/tokens", json={"name": "month", "expires_in_days": 30},
                          headers=basic("alice", TEST_PASSWORD))
    token = created.get_json()["token"]
    assert client.post("/api/v1/projects", json=DRYER, headers=bearer(token)).status_code == 201
    clock.at += timedelta(days=31)
    for path in READS:
        assert_refused(client.get(path, headers=bearer(token)), path)


def test_a_missing_header_reads_anonymously_and_basic_still_makes_tokens(client, alice):
    assert client.get("/api/v1/projects/solar-dryer").status_code == 200
    made = client.post("/api/v1/tokens", json={"name": "second"},
                       headers=basic("alice", TEST_PASSWORD))
    assert made.status_code == 201, made.get_json()


def test_credentials_that_are_not_a_bearer_token_on_a_read_are_401(client, alice):
    for header in ("Basic " + "YWxpY2U6eA==", "Token abc", "Bearer"):
        response = client.get("/api/v1/projects/solar-dryer", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), header
        assert "Authorization: Bearer <token>" in response.get_json()["error"], header
