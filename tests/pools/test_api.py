"""Pools in the JSON API: offering a pool, opening a round, filing and
withdrawing requests with the same checks (and 422 messages) as the pages,
Idempotency-Key on the POSTs, the figures each close publishes, the
allocation, and the Valueflows export."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from commons import jobs
from commons.extensions import db
from commons.pools.models import PoolRequest
from tests.conftest import bearer

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock, BASE_URL="http://commons.test")


@pytest.fixture
def pools(app, client, token_for):
    """maker's pool of 100 hours with a round open; ada's project "bikes"
    and bo's "looms", each with a need for workshop time; cy has a token."""
    tokens = {name: token_for(name) for name in ("maker", "ada", "bo", "cy")}
    for name, slug, needed in (("ada", "bikes", "60"), ("bo", "looms", "100")):
        made = client.post("/api/v1/projects", headers=bearer(tokens[name]), json={
            "name": slug.title(), "slug": slug, "license": "CERN-OHL-S-2.0"})
        assert made.status_code == 201, made.get_json()
        need = client.post(f"/api/v1/projects/{slug}/inputs", headers=bearer(tokens[name]),
                           json={"title": "Workshop time", "kind": "space",
                                 "quantity": needed, "unit": "hour"})
        assert need.status_code == 201, need.get_json()
    pool = client.post("/api/v1/pools", headers=bearer(tokens["maker"]), json={
        "title": "Workshop hours, December", "kind": "resource", "unit": "hour",
        "available": "100", "period": "2026-12"})
    assert pool.status_code == 201, pool.get_json()
    pool_id = pool.get_json()["id"]
    opened = client.post(f"/api/v1/pools/{pool_id}/rounds", headers=bearer(tokens["maker"]),
                         json={"iterations": 2})
    assert opened.status_code == 201, opened.get_json()
    return {"tokens": tokens, "pool": pool_id,
            "requests": f"/api/v1/pools/{pool_id}/rounds/1/requests"}


def _file(client, pools, who: str, project: str, quantity, **extra):
    return client.post(pools["requests"], headers=bearer(pools["tokens"][who]),
                       json={"project": project, "quantity": quantity, "input_numbers": [1],
                             **extra})


def _requests(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest))
        db.session.remove()
    return count


def test_a_pool_and_its_round_as_the_api_gives_them(client, pools):
    listed = client.get("/api/v1/pools").get_json()
    assert [(p["title"], p["available"], p["unit"], p["steward"]) for p in listed] == [
        ("Workshop hours, December", "100.00", "hour", {"user": "maker"})]
    found = client.get(f"/api/v1/pools/{pools['pool']}/rounds/1").get_json()
    assert (found["status"], found["iteration"], found["iterations"]) == ("open", 1, 2)
    assert found["web_url"] == f"http://commons.test/pools/{pools['pool']}/rounds/1"
    journal = client.get(f"/api/v1/pools/{pools['pool']}/journal").get_json()
    assert [e["action"] for e in journal["entries"]][-1] == "pool_created"
    assert all(len(e["hash"]) == 64 for e in journal["entries"])


def test_filing_revising_and_the_published_figures(app, client, clock, pools):
    assert _file(client, pools, "ada", "bikes", "60", justification="Wheels").status_code == 201
    assert _file(client, pools, "bo", "looms", "90").status_code == 201
    live = client.get(f"/api/v1/pools/{pools['pool']}/rounds/1").get_json()["figures"]
    assert live == [{"iteration": 1, "available": "100.00", "requested": "150.00", "ratio": "1.5000",
                     "closed_at": None, "shares": {}, "note": ""}]
    clock.now += timedelta(days=3, minutes=1)
    with app.app_context():
        jobs.enqueue("pools.sweep")
    first = client.get(f"/api/v1/pools/{pools['pool']}/rounds/1").get_json()["figures"][0]
    assert (first["requested"], first["available"], first["ratio"]) == ("150.00", "100.00", "1.5000")
    assert set(first["shares"]) == {"bikes", "looms"} and first["closed_at"] is not None
    higher = _file(client, pools, "ada", "bikes", "61")
    assert higher.status_code == 422 and "60" in higher.get_json()["error"]
    lowered = _file(client, pools, "ada", "bikes", "40")
    assert lowered.status_code == 201
    assert (lowered.get_json()["iteration"], lowered.get_json()["quantity"]) == (2, "40.00")
    rows = client.get(pools["requests"] + "?iteration=2").get_json()
    assert sorted((r["project"], r["quantity"]) for r in rows) == [("bikes", "40.00"),
                                                                  ("looms", "90.00")]


@pytest.mark.parametrize(("quantity", "extra"), [
    (1.5, {}),                     # a JSON float: refused, never rounded
    ("0", {}), ("-4", {}),         # negative or zero
    ("10", {"unit": "kg"}),        # not the pool's unit
])
def test_bad_requests_are_422_and_write_nothing(app, client, pools, quantity, extra):
    answer = _file(client, pools, "ada", "bikes", quantity, **extra)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]
    assert _requests(app) == 0


def test_who_may_file_and_who_may_steward(app, client, pools):
    assert _file(client, pools, "cy", "bikes", "5").status_code == 403
    assert client.post(f"/api/v1/pools/{pools['pool']}/availability",
                       headers=bearer(pools["tokens"]["ada"]),
                       json={"available": "10", "reason": "mine"}).status_code == 403
    assert client.post(pools["requests"], json={"project": "bikes",
                                                "quantity": "5"}).status_code == 401
    assert _requests(app) == 0


def test_a_request_sent_twice_with_one_key_is_filed_once(app, client, pools):
    headers = {**bearer(pools["tokens"]["ada"]), "Idempotency-Key": "request-1"}
    body = {"project": "bikes", "quantity": "30", "input_numbers": [1]}
    first = client.post(pools["requests"], headers=headers, json=body)
    again = client.post(pools["requests"], headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _requests(app) == 1


def test_withdrawing_through_the_api(app, client, pools):
    _file(client, pools, "ada", "bikes", "30")
    answer = client.post(pools["requests"] + "/bikes/withdrawal",
                         headers=bearer(pools["tokens"]["ada"]))
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["withdrawn"] is True


def test_the_valueflows_export(app, client, clock, pools):
    _file(client, pools, "ada", "bikes", "60", justification="Wheels")
    _file(client, pools, "bo", "looms", "30")
    clock.now += timedelta(days=3, minutes=1)
    with app.app_context():
        jobs.enqueue("pools.sweep")  # 90 of 100: demand fits, the round ends
    answer = client.get(f"/api/v1/pools/{pools['pool']}.jsonld")
    assert answer.status_code == 200 and answer.mimetype == "application/ld+json"
    graph = {node["@id"]: node for node in answer.get_json()["@graph"]}
    base = f"http://commons.test/pools/{pools['pool']}"
    assert graph[base]["@type"] == "vf:EconomicResource"
    assert graph[base]["vf:accountingQuantity"]["om2:hasNumericalValue"]["@value"] == "100.00"
    assert graph[base + "/rounds/1"]["@type"] == "vf:Plan"
    intent = graph[base + "/rounds/1#request-1-bikes"]
    assert intent["@type"] == "vf:Intent" and intent["vf:note"] == "Wheels"
    assert intent["vf:receiver"] == {"@id": "http://commons.test/projects/bikes"}
    commitment = graph[base + "/rounds/1#allocation-bikes"]
    assert commitment["@type"] == "vf:Commitment"
    assert commitment["vf:plannedWithin"] == {"@id": base + "/rounds/1"}
    assert commitment["vf:resourceQuantity"]["om2:hasNumericalValue"]["@value"] == "60.00"
    assert commitment["commons:pledge"][0]["@id"].startswith(
        "http://commons.test/projects/bikes/ledger#entry-")
    allocations = client.get(pools["requests"].replace("requests", "allocations")).get_json()
    assert sorted((a["project"], a["quantity"]) for a in allocations) == [
        ("bikes", "60.00"), ("looms", "30.00")]
