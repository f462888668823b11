"""An app on a fixed day with a project that has one of everything: an
input, a pledge, a proposal, a credit, two members and their tokens."""

from datetime import UTC, datetime

import pytest

from tests.conftest import TEST_PASSWORD, basic, bearer

SLUG = "solar-dryer"


class FixedClock:
    def __call__(self):
        return datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def api_app(make_app):
    # The fuzz guesses passwords more often than a person may; a wide budget,
    # not RATELIMIT_ENABLED=False, which sticks to the shared limiter and
    # would switch rate limits off for every app the suite makes afterwards.
    return make_app(CLOCK=FixedClock(), BASE_URL="http://commons.test",
                    LOGIN_RATE_LIMIT="100000 per minute")


@pytest.fixture
def known(api_app):
    """Alice's project with one of everything; answers the identifiers."""
    client = api_app.test_client()
    runner = api_app.test_cli_runner()
    for name in ("alice", "bob"):
        result = runner.invoke(args=["users", "create", name, f"{name}@example.org",
                                     "--password", TEST_PASSWORD])
        assert result.exit_code == 0, result.output

    def token(name: str) -> str:
        made = client.post("/api/v1/tokens", json={"name": "fuzz"},
                           headers=basic(name, TEST_PASSWORD))
        assert made.status_code == 201, made.get_json()
        return made.get_json()["token"]

    alice = token("alice")
    spare = client.get("/api/v1/tokens", headers=bearer(token("alice"))).get_json()

    def post(path: str, body: dict, who: str = alice) -> dict:
        answer = client.post(f"/api/v1{path}", json=body, headers=bearer(who))
        assert answer.status_code in (201, 202), (path, answer.get_json())
        return answer.get_json()

    post("/projects", {"name": "Solar dryer", "slug": SLUG, "license": "CERN-OHL-S-2.0",
                       "description": "Dries food with sunlight."})
    bob = token("bob")
    post(f"/projects/{SLUG}/join", {}, who=bob)
    need = post(f"/projects/{SLUG}/inputs", {"title": "Plywood", "kind": "material",
                                             "quantity": "4", "unit": "piece"})
    pledge = post(f"/projects/{SLUG}/inputs/{need['number']}/pledges", {"quantity": "2"})
    proposal = post(f"/projects/{SLUG}/proposals", {"kind": "decision", "title": "Paint it"})
    credit = post(f"/projects/{SLUG}/credits", {"username": "bob", "kind": "doc",
                                               "evidence_url": "https://example.org/doc"})
    return {
        "token": alice,
        "bob": bob,
        "path": {
            "slug": SLUG, "username": "bob", "seq": pledge["seq"], "credit_id": credit["id"],
            # Revoking this one leaves the token the fuzz calls with alone.
            "token_id": max(t["id"] for t in spare),
        },
        "input": need["number"],
        "proposal": proposal["number"],
    }
