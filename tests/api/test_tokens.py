from datetime import timedelta

import sqlalchemy as sa

from commons.accounts.models import AccessToken
from commons.extensions import db
from commons.types import utcnow
from tests.conftest import TEST_PASSWORD, basic, bearer


def test_create_token_with_password_then_use_list_and_revoke(client, token_for):
    token = token_for("alice")
    assert token.startswith("cmn_")
    listed = client.get("/api/v1/tokens", headers=bearer(token))
    assert listed.status_code == 200
    [entry] = listed.get_json()
    assert entry["name"] == "tests" and entry["last_used_at"] and "token" not in entry
    assert client.delete(f"/api/v1/tokens/{entry['id']}", headers=bearer(token)).status_code == 204
    refused = client.get("/api/v1/tokens", headers=bearer(token))
    assert refused.status_code == 401
    assert "unknown, expired or revoked" in refused.get_json()["error"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_creation_needs_the_right_password(client, runner):
    runner.invoke(args=["users", "create", "alice", "alice@example.org", "--password", TEST_PASSWORD])
    wrong = client.post("/api/v1/tokens", json={"name": "x"}, headers=basic("alice", "nope"))
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "That username and password do not match."
    missing = client.post("/api/v1/tokens", json={"name": "x"})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    invalid = client.post("/api/v1/tokens", json={"name": ""}, headers=basic("alice", TEST_PASSWORD))
    assert invalid.status_code == 422 and "name" in invalid.get_json()["errors"]


def test_an_expired_token_is_refused(app, client, token_for):
    token = token_for("alice")
    with app.app_context():
        row = db.session.scalar(sa.select(AccessToken))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/tokens", headers=bearer(token))
    assert response.status_code == 401


def test_garbage_authorization_headers_get_401_not_500(client):
    for header in ["Bearer", "Bearer cmn_nope", "Token abc", "Bearer " + "x" * 5000, "Basic ???"]:
        response = client.get("/api/v1/tokens", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"]


def test_someone_elses_token_cannot_be_revoked(client, token_for):
    alice, bob = token_for("alice"), token_for("bob")
    [alices] = client.get("/api/v1/tokens", headers=bearer(alice)).get_json()
    response = client.delete(f"/api/v1/tokens/{alices['id']}", headers=bearer(bob))
    assert response.status_code == 404
    assert client.get("/api/v1/tokens", headers=bearer(alice)).status_code == 200


def test_session_cookies_do_not_authenticate_the_api(client, browser):
    browser.register("alice")
    response = browser.client.get("/api/v1/tokens")
    assert response.status_code == 401
