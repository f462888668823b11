"""Each answer the fuzz (test_fuzz.py) found undocumented, replayed with the
input that found it: the status is one /api/v1/openapi.json lists for the
operation, and the body is the contract's {"error": ...}. Before, every
operation listed only its success and a catch-all "default"."""

import pytest

from tests.api.conftest import SLUG
from tests.conftest import TEST_PASSWORD, basic, bearer


def documented(client, method: str, template: str) -> set[int]:
    document = client.get("/api/v1/openapi.json").get_json()
    responses = document["paths"][f"/api/v1{template}"][method.lower()]["responses"]
    assert "default" not in responses, "a catch-all answer documents nothing"
    return {int(status) for status in responses}


@pytest.fixture
def client(api_app):
    return api_app.test_client()


@pytest.fixture
def carol(api_app, client):
    """An account that is no member of the project."""
    runner = api_app.test_cli_runner()
    runner.invoke(args=["users", "create", "carol", "carol@example.org",
                        "--password", TEST_PASSWORD])
    made = client.post("/api/v1/tokens", json={"name": "c"}, headers=basic("carol", TEST_PASSWORD))
    return made.get_json()["token"]


def assert_documented(client, response, method: str, template: str, status: int):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]
    assert status in documented(client, method, template), (method, template, status)


def test_a_nul_in_the_query_is_a_documented_400(client, known):
    response = client.get("/api/v1/projects?q=%00", headers=bearer(known["token"]))
    assert_documented(client, response, "GET", "/projects", 400)


def test_a_bad_token_on_a_read_is_a_documented_401(client, known):
    response = client.get(f"/api/v1/projects/{SLUG}", headers=bearer("not-a-token"))
    assert_documented(client, response, "GET", "/projects/{slug}", 401)


def test_joining_twice_is_a_documented_409(client, known):
    response = client.post(f"/api/v1/projects/{SLUG}/join", headers=bearer(known["token"]))
    assert_documented(client, response, "POST", "/projects/{slug}/join", 409)


def test_leaving_a_project_you_are_not_in_is_a_documented_409(client, known, carol):
    response = client.delete(f"/api/v1/projects/{SLUG}/membership", headers=bearer(carol))
    assert_documented(client, response, "DELETE", "/projects/{slug}/membership", 409)


def test_a_stance_on_a_stale_revision_is_a_documented_409(client, known):
    response = client.post(f"/api/v1/projects/{SLUG}/proposals/{known['proposal']}/stances",
                           json={"stance": "support", "revision": 7},
                           headers=bearer(known["token"]))
    assert_documented(client, response, "POST", "/projects/{slug}/proposals/{number}/stances",
                      409)


def test_a_non_member_opening_a_proposal_is_a_documented_403(client, known, carol):
    response = client.post(f"/api/v1/projects/{SLUG}/proposals",
                           json={"kind": "decision", "title": "Mine"}, headers=bearer(carol))
    assert_documented(client, response, "POST", "/projects/{slug}/proposals", 403)


def test_a_closed_input_refuses_pledges_and_a_second_close_with_a_documented_409(client, known):
    close = f"/api/v1/projects/{SLUG}/inputs/{known['input']}/close"
    assert client.post(close, json={"reason": "Bought it"},
                       headers=bearer(known["token"])).status_code == 201
    again = client.post(close, json={"reason": "Twice"}, headers=bearer(known["token"]))
    assert_documented(client, again, "POST", "/projects/{slug}/inputs/{number}/close", 409)
    pledge = client.post(f"/api/v1/projects/{SLUG}/inputs/{known['input']}/pledges",
                         json={"quantity": "1"}, headers=bearer(known["bob"]))
    assert_documented(client, pledge, "POST", "/projects/{slug}/inputs/{number}/pledges", 409)


def test_withdrawing_a_pledge_twice_is_a_documented_409(client, known):
    withdrawal = f"/api/v1/projects/{SLUG}/pledges/{known['path']['seq']}/withdrawal"
    assert client.post(withdrawal, headers=bearer(known["token"])).status_code == 201
    again = client.post(withdrawal, headers=bearer(known["token"]))
    assert_documented(client, again, "POST", "/projects/{slug}/pledges/{seq}/withdrawal", 409)


def test_every_operation_documents_its_errors_not_a_catch_all(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"], (method, path)
            assert {"400", "401"} <= set(operation["responses"]), (method, path)
