"""Input no column can hold is refused up front with a 400 that says why,
on SQLite and PostgreSQL alike (PostgreSQL refuses NUL in text)."""

import pytest

from tests.conftest import TEST_PASSWORD, Browser, basic, bearer, csrf_token


@pytest.mark.parametrize("url", [
    "/projects/a%00b", "/api/v1/projects/a%00b", "/projects?q=%00", "/api/v1/projects?q=a%00",
])
def test_nul_in_the_address_is_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL character" in (response.get_json() or {}).get("error", response.get_data(as_text=True))


def test_nul_in_a_post_address_is_400(client, token_for):
    response = client.post("/api/v1/projects/a%00/join", headers=bearer(token_for("alice")))
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]


def test_nul_in_a_form_is_400(browser):
    response = browser.submit("/login", {"login": "ali\x00ce", "password": TEST_PASSWORD},
                              action="/login")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_in_basic_auth_is_400(client):
    response = client.post("/api/v1/tokens", json={"name": "x"},
                           headers=basic("ali\x00ce", TEST_PASSWORD))
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]


def test_nul_in_json_text_is_refused_by_the_rules(client, token_for):
    response = client.post("/api/v1/projects", headers=bearer(token_for("alice")), json={
        "name": "Dry\x00er", "slug": "dryer", "license": "MIT", "description": "a\x00b"})
    assert response.status_code == 422 and "U+0000" in response.get_json()["error"]


def test_ids_too_large_for_a_column_are_404(browser, client, token_for):
    browser.register("alice")
    for action in ("/settings/emails/99999999999999999999/delete",
                   "/settings/tokens/2147483648/revoke"):
        html = browser.client.get("/settings").get_data(as_text=True)
        response = browser.client.post(action, data={"csrf_token": csrf_token(html)})
        assert response.status_code == 404, action
    response = client.delete("/api/v1/tokens/9223372036854775808",
                             headers=bearer(token_for("bob")))
    assert response.status_code == 404


def test_login_and_token_creation_share_one_budget_of_guesses(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    browser = Browser(client)
    assert browser.login("alice", "wrong password!").status_code == 401
    assert client.post("/api/v1/tokens", json={"name": "x"},
                       headers=basic("alice", "wrong")).status_code == 401
    assert browser.login("alice", "wrong password!").status_code == 401
    refused = client.post("/api/v1/tokens", json={"name": "x"}, headers=basic("alice", "wrong"))
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_json()["error"]


def test_behind_a_proxy_clients_come_from_forwarded_headers_and_urls_from_base_url(
        make_app, token_for):
    app = make_app(PROXY_FIX={"x_for": 1, "x_proto": 1, "x_host": 1},
                   LOGIN_RATE_LIMIT="1 per minute", BASE_URL="https://commons.example")
    client = app.test_client()
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "alice", "alice@example.org", "--password", TEST_PASSWORD])
    # A forwarded host is what the client sent the proxy: links never use it.
    forwarded = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
    token = client.post("/api/v1/tokens", json={"name": "x"}, headers={
        **basic("alice", TEST_PASSWORD), **forwarded, "X-Forwarded-For": "198.51.100.1"})
    assert token.status_code == 201
    # Another client behind the same proxy has its own budget.
    other = client.post("/api/v1/tokens", json={"name": "y"}, headers={
        **basic("alice", TEST_PASSWORD), **forwarded, "X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 201
    created = client.post("/api/v1/projects", json={"name": "Dryer", "slug": "dryer",
                                                    "license": "MIT"},
                          headers={**bearer(token.get_json()["token"]), **forwarded})
    assert created.get_json()["clone_url"] == "https://commons.example/projects/dryer.git"


def test_pages_take_forms_not_json(browser):
    browser.register("alice")
    html = browser.client.get("/settings").get_data(as_text=True)
    response = browser.client.post("/settings/tokens", data='{"name": 5}',
                                   content_type="application/json",
                                   headers={"X-CSRFToken": csrf_token(html)})
    assert response.status_code == 415 and "JSON API under /api/v1" in response.get_data(as_text=True)
    assert browser.client.post("/nope", data="[1,2]", content_type="application/json").status_code == 415


def test_json_nested_too_deeply_is_400(client, token_for):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/projects", data=body, content_type="application/json",
                           headers=bearer(token_for("alice")))
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]
