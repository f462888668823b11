"""Idempotency-Key on API POSTs: a retry with the same key gets the first
answer and writes nothing new; the same key with another request is
refused; keys are forgotten after 24 hours."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from commons.api.idempotency import prune_idempotency_keys
from commons.api.models import IdempotencyKey
from commons.extensions import db
from commons.ledger.models import LedgerEntry
from tests.api.conftest import SLUG
from tests.conftest import TEST_PASSWORD, basic, bearer, start_server, stop_server


@pytest.fixture
def known(known, api_app):
    """The shared project, with a need large enough for many pledges."""
    made = api_app.test_client().post(
        f"/api/v1/projects/{SLUG}/inputs", headers=bearer(known["token"]),
        json={"title": "Screws", "kind": "material", "quantity": "1000", "unit": "piece"})
    assert made.status_code == 201, made.get_json()
    return {**known, "input": made.get_json()["number"]}


def _entries(app) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
        db.session.remove()
    return count


def _pledge(client, known, key: str | None, quantity: str = "1", token: str | None = None):
    headers = bearer(token or known["token"])
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/projects/{SLUG}/inputs/{known['input']}/pledges",
                       json={"quantity": quantity}, headers=headers)


def test_a_pledge_sent_twice_with_one_key_is_written_once(api_app, known):
    client = api_app.test_client()
    before = _entries(api_app)
    first = _pledge(client, known, "retry-me-1")
    assert first.status_code == 201, first.get_json()
    again = _pledge(client, known, "retry-me-1")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _entries(api_app) == before + 1


def test_two_keys_are_two_pledges(api_app, known):
    client = api_app.test_client()
    before = _entries(api_app)
    first = _pledge(client, known, "one")
    second = _pledge(client, known, "two")
    assert first.status_code == second.status_code == 201
    assert first.get_json()["seq"] != second.get_json()["seq"]
    assert _entries(api_app) == before + 2
    assert _pledge(client, known, None).status_code == 201  # no key: as before
    assert _entries(api_app) == before + 3


def test_one_key_with_another_body_is_refused_with_422(api_app, known):
    client = api_app.test_client()
    assert _pledge(client, known, "same", quantity="1").status_code == 201
    before = _entries(api_app)
    other = _pledge(client, known, "same", quantity="2")
    assert other.status_code == 422
    assert "different request" in other.get_json()["error"]
    assert _entries(api_app) == before


def test_keys_belong_to_their_account(api_app, known):
    client = api_app.test_client()
    before = _entries(api_app)
    assert _pledge(client, known, "shared").status_code == 201
    bobs = _pledge(client, known, "shared", token=known["bob"])
    assert bobs.status_code == 201 and "Idempotent-Replayed" not in bobs.headers
    assert _entries(api_app) == before + 2


def test_a_refusal_that_wrote_nothing_frees_the_key(api_app, known):
    client = api_app.test_client()
    refused = _pledge(client, known, "too-much", quantity="100000")
    assert refused.status_code in (409, 422), refused.get_json()
    with api_app.app_context():
        assert db.session.scalar(sa.select(IdempotencyKey)) is None


def test_a_malformed_key_and_a_key_on_token_creation_are_refused(api_app, known):
    client = api_app.test_client()
    assert _pledge(client, known, " spaced ").status_code == 400
    assert _pledge(client, known, "x" * 256).status_code == 400
    made = client.post("/api/v1/tokens", json={"name": "k"},
                       headers={**basic("alice", TEST_PASSWORD), "Idempotency-Key": "k1"})
    assert made.status_code == 400
    assert "secret" in made.get_json()["error"]


def test_the_header_is_documented_on_every_post(api_app, known):
    document = api_app.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        if "post" not in operations or path.endswith("/tokens"):
            continue
        post = operations["post"]
        assert any(p["name"] == "Idempotency-Key" for p in post.get("parameters", [])), path
        assert {"400", "409", "422"} <= set(post["responses"]), path


def test_keys_older_than_a_day_are_pruned(api_app, known):
    client = api_app.test_client()
    assert _pledge(client, known, "old").status_code == 201
    runner = api_app.test_cli_runner()
    with api_app.app_context():
        sent = db.session.scalar(sa.select(IdempotencyKey.created_at))
        assert prune_idempotency_keys(db.session, sent + timedelta(hours=23)) == 0
        assert prune_idempotency_keys(db.session, sent + timedelta(hours=25)) == 1
        db.session.rollback()
    result = runner.invoke(args=["api", "prune-idempotency-keys"])
    assert result.exit_code == 0 and "forgot 0 idempotency keys" in result.output


def test_an_expired_key_is_a_new_request(make_app, known, api_app):
    client = api_app.test_client()
    before = _entries(api_app)
    assert _pledge(client, known, "later").status_code == 201
    with api_app.app_context():
        db.session.execute(sa.update(IdempotencyKey).values(
            created_at=datetime(2030, 2, 27, tzinfo=UTC)))
        db.session.commit()
    again = _pledge(client, known, "later")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _entries(api_app) == before + 2


def test_concurrent_retries_on_a_live_server_write_once(api_app, known, database_uri,
                                                        tmp_path):
    server, base, _ = start_server(database_uri, tmp_path, {"COMMONS_BASE_URL":
                                                            "http://commons.test"}, threads=8)
    try:
        before = _entries(api_app)
        url = f"{base}/api/v1/projects/{SLUG}/inputs/{known['input']}/pledges"
        headers = {**bearer(known["token"]), "Idempotency-Key": "racing"}
        start = threading.Barrier(6)
        answers = []

        def send():
            start.wait()
            answers.append(requests.post(url, json={"quantity": "1"}, headers=headers,
                                         timeout=60))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
        assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 409)
        created = [a.json() for a in answers if a.status_code == 201]
        assert created and all(body == created[0] for body in created)
        # Once the first has answered, every retry gets its answer.
        final = requests.post(url, json={"quantity": "1"}, headers=headers, timeout=60)
        assert final.status_code == 201 and final.json() == created[0]
        assert _entries(api_app) == before + 1
    finally:
        stop_server(server)


def test_an_evidence_upload_with_a_key_reads_the_whole_body_once(api_app, known):
    from commons.ledger.models import EvidenceUpload

    client = api_app.test_client()
    # Larger than the app's 1 MiB request limit, within the evidence limit.
    scan = b"%PDF" + b"\1" * (1536 * 1024)
    headers = {**bearer(known["token"]), "Idempotency-Key": "scan-1"}
    url = f"/api/v1/projects/{SLUG}/evidence?name=scan.pdf"
    first = client.post(url, data=scan, content_type="application/pdf", headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["size"] == len(scan)
    again = client.post(url, data=scan, content_type="application/pdf", headers=headers)
    assert again.get_json() == first.get_json()
    with api_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceUpload)) == 1
    too_big = b"\2" * (int(api_app.config["EVIDENCE_MAX_BYTES"]) + 10)
    refused = client.post(url, data=too_big, content_type="application/pdf",
                          headers={**headers, "Idempotency-Key": "huge"})
    assert refused.status_code in (413, 422), refused.get_json()
