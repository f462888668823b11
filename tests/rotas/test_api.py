"""The rotas API: list and read, create, opt in and out, a swap asked,
confirmed and cancelled, a turn done (its work entry linked); members only
for changes; bad input 422/409/403 with a message; Idempotency-Key replays."""

import base64

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger.models import WorkLog
from commons.rotas.models import Rota, RotaMember, RotaSwap
from tests.rotas.conftest import FreshClient

PASSWORD = "x" * 12


@pytest.fixture
def api(scene):
    scene.app.test_client_class = FreshClient
    client = scene.app.test_client()
    tokens = {}
    for name in ("ada", "bo", "cy", "oz"):
        basic = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
        response = client.post("/api/v1/tokens", json={"name": "tests"},
                               headers={"Authorization": f"Basic {basic}"})
        assert response.status_code == 201, response.get_json()
        tokens[name] = {"Authorization": f"Bearer {response.get_json()['token']}"}
    return client, tokens


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


BASE = "/api/v1/projects/shed/rotas"


def test_create_read_opt_in_and_done(api):
    client, who = api
    response = client.post(BASE, json={"title": "Clean the workshop", "hours": "2",
                                       "starts_on": "2026-06-01"}, headers=who["ada"])
    assert response.status_code == 201, response.get_json()
    rota = response.get_json()
    assert (rota["category"], rota["every_days"], rota["hours"]) == ("care", 7, "2.00")
    assert [r["title"] for r in client.get(BASE).get_json()] == ["Clean the workshop"]
    url = f"{BASE}/{rota['id']}"
    assert client.post(url + "/members", headers=who["ada"]).status_code == 201
    answer = client.post(url + "/members", headers=who["bo"]).get_json()
    assert [m["username"] for m in answer["members"]] == ["ada", "bo"]
    assert [t["holder"] for t in answer["upcoming"]] == ["ada", "bo", "ada", "bo"]
    done = client.post(url + "/turns/1/done", json={"hours": "1.5"}, headers=who["ada"])
    assert done.status_code == 201, done.get_json()
    past = done.get_json()["past"]
    assert past[0]["state"] == "done" and past[0]["hours"] == "1.50"
    work = db.session.scalar(sa.select(WorkLog).where(WorkLog.seq == past[0]["work_seq"]))
    assert work.category == "care" and str(work.hours) == "1.50"
    # Opting out: DELETE.
    answer = client.delete(url + "/members", headers=who["bo"])
    assert answer.status_code == 200 and [m["username"] for m in
                                          answer.get_json()["members"]] == ["ada"]
    assert client.delete(url + "/members", headers=who["bo"]).status_code == 409


def test_swaps(api, scene):
    client, who = api
    rota = client.post(BASE, json={"title": "Bins", "starts_on": "2026-06-01"},
                       headers=who["ada"]).get_json()
    url = f"{BASE}/{rota['id']}"
    client.post(url + "/members", headers=who["ada"])
    client.post(url + "/members", headers=who["bo"])
    refused = client.post(url + "/turns/1/swaps", json={"username": "cy"}, headers=who["ada"])
    assert refused.status_code == 422 and "cy has not opted in" in refused.get_json()["error"]
    assert count(RotaSwap) == 0
    asked = client.post(url + "/turns/1/swaps", json={"username": "bo"}, headers=who["ada"])
    assert asked.status_code == 201
    swap = asked.get_json()
    assert swap["status"] == "asked"
    assert client.get(url).get_json()["swaps"][0]["id"] == swap["id"]
    refused = client.post(f"{url}/swaps/{swap['id']}/confirmation", headers=who["ada"])
    assert refused.status_code == 403
    confirmed = client.post(f"{url}/swaps/{swap['id']}/confirmation", headers=who["bo"])
    assert confirmed.status_code == 201 and confirmed.get_json()["status"] == "confirmed"
    assert client.get(url).get_json()["upcoming"][0]["holder"] == "bo"
    again = client.post(f"{url}/swaps/{swap['id']}/cancellation", headers=who["bo"])
    assert again.status_code == 409


def test_bad_input_and_who_may(api):
    client, who = api
    assert client.post(BASE, json={"title": "x"}).status_code == 401
    response = client.post(BASE, json={"title": "Clean"}, headers=who["oz"])
    assert response.status_code == 403 and "Join the project" in response.get_json()["error"]
    response = client.post(BASE, json={"title": "Clean", "every_days": 0}, headers=who["ada"])
    assert response.status_code == 422 and response.get_json()["field"] == "every_days"
    response = client.post(BASE, json={"title": "Clean", "hours": 2.5}, headers=who["ada"])
    assert response.status_code == 422
    assert count(Rota) == 0
    rota = client.post(BASE, json={"title": "Clean"}, headers=who["ada"]).get_json()
    url = f"{BASE}/{rota['id']}"
    assert client.post(url + "/members", headers=who["oz"]).status_code == 403
    assert count(RotaMember) == 0
    assert client.get(f"{BASE}/999").status_code == 404
    assert client.get("/api/v1/projects/nope/rotas").status_code == 404
    client.post(url + "/members", headers=who["ada"])
    response = client.post(url + "/turns/1/done", json={"hours": "25"}, headers=who["ada"])
    assert response.status_code == 422 and count(WorkLog) == 0
    response = client.post(url + "/turns/1/done", json={}, headers=who["bo"])
    assert response.status_code == 403


def test_idempotency_key_replays(api):
    client, who = api
    headers = {**who["ada"], "Idempotency-Key": "rota-1"}
    first = client.post(BASE, json={"title": "Clean"}, headers=headers)
    second = client.post(BASE, json={"title": "Clean"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json()["id"] == second.get_json()["id"] and count(Rota) == 1
