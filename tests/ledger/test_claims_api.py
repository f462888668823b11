"""Funds, expense claims and payouts through the JSON API: claims and
payouts in the paths, amounts exact strings, each refusal a clear message
with nothing written, a retried payout with its Idempotency-Key answered
once, and the claim and its payout in the JSON export and the Valueflows
JSON-LD."""

import json

import pytest
from rdflib import RDF, Graph, URIRef

from commons import paging
from commons.extensions import db
from commons.governance import services as governance
from commons.projects import services as projects
from tests.conftest import worker_decides
from tests.ledger.test_api import FILAMENT, Api, api  # noqa: F401 (the fixture)
from tests.ledger.test_exports import RDFLIB_WARNING, VF

GRANT = {"title": "Grant", "kind": "money", "quantity": "90", "unit": "EUR"}


@pytest.fixture
def funded(api, clock):  # noqa: F811
    api.ok("/inputs", "ada", GRANT)
    api.ok("/inputs/1/receipts", "ada", {"quantity": "90", "provider": "City council",
                                         "pledge": None})
    api.ok("/inputs", "ada", FILAMENT)  # 2
    api.ok("/inputs/2/receipts", "bo", {"quantity": "4", "provider": "bo", "pledge": None})
    with api.app.app_context():
        project = projects.get_project(db.session, "dryer")
        ada = next(m.user for m in project.memberships if m.user.username == "ada")
        governance.open_proposal(db.session, project, ada, "policy", "ada treasurer", "",
                                 {"treasurer_grant": "ada"},
                                 governance.Settings.from_config(api.app.config), clock())
        db.session.commit()
    clock.advance(days=4)
    worker_decides(api.app)
    return api


@pytest.mark.filterwarnings(RDFLIB_WARNING)
def test_claim_pay_and_read_back(funded: Api):
    made = funded.ok("/inputs/2/claims", "bo", {
        "amount": "10.00", "currency": "EUR", "description": "4 kg",
        "evidence_url": "https://example.org/invoice.pdf"})
    assert made["action"] == "claim" and made["data"]["amount"] == "10.00"
    assert made["claim"] == {"seq": 5, "input": 2, "share": 0, "distribution": None,
                             "claimant": "bo", "amount": "10.00",
                             "currency": "EUR", "description": "4 kg", "status": "approved",
                             "payout": None, "proposal": None}
    paid = funded.client.post("/api/v1/projects/dryer/claims/5/payouts", json={
        "method": "bank transfer", "reference": "SEPA 1", "date": "2026-03-05"},
        headers={**_bearer(funded, "ada"), "Idempotency-Key": "pay-5"})
    assert paid.status_code == 201, paid.get_json()
    again = funded.client.post("/api/v1/projects/dryer/claims/5/payouts", json={
        "method": "bank transfer", "reference": "SEPA 1", "date": "2026-03-05"},
        headers={**_bearer(funded, "ada"), "Idempotency-Key": "pay-5"})
    assert again.status_code == 201 and again.get_json() == paid.get_json()
    assert paid.get_json()["claim"]["payout"] == {
        "seq": 6, "method": "bank transfer", "reference": "SEPA 1", "date": "2026-03-05"}
    assert funded.get("/funds").get_json()["funds"] == [
        {"currency": "EUR", "received": "90.00", "paid": "10.00", "balance": "80.00"}]
    assert [c["status"] for c in funded.get("/claims").get_json()["claims"]] == ["paid"]

    exported = json.loads(funded.get("/ledger.json").get_data(as_text=True))
    assert exported["funds"] == [{"currency": "EUR", "received": "90.00", "paid": "10.00",
                                  "balance": "80.00"}]
    assert exported["claims"][0]["payout"]["reference"] == "SEPA 1"
    csv = funded.get("/ledger.csv").get_data(as_text=True)
    assert ",claim,2,10.00,EUR," in csv and ",payout,2,10.00,EUR," in csv
    graph = json.loads(funded.get("/ledger.jsonld").get_data(as_text=True))["@graph"]
    claim = next(n for n in graph if "vf:Claim" in n["@type"])
    payout = next(n for n in graph if n.get("commons:action") == "payout")
    assert claim["vf:resourceQuantity"]["om2:hasNumericalValue"] == {
        "@value": "10.00", "@type": "xsd:decimal"}
    assert claim["vf:receiver"] == {"@id": "http://commons.test/users/bo"}
    assert payout["vf:settles"] == {"@id": claim["@id"]}
    assert payout["vf:receiver"] == {"@id": "http://commons.test/users/bo"}
    # As RDF: the payout settles the claim, the claim is a vf:Claim.
    rdf = Graph().parse(data=funded.get("/ledger.jsonld").get_data(as_text=True),
                        format="json-ld")
    claim_iri, payout_iri = URIRef(claim["@id"]), URIRef(payout["@id"])
    assert (claim_iri, RDF.type, VF.Claim) in rdf
    assert (payout_iri, VF.settles, claim_iri) in rdf


def test_refusals_write_nothing(funded: Api):
    evidence = {"evidence_url": "https://example.org/invoice.pdf"}
    funded.refused("/inputs/2/claims", "cy", 403, "Join the project",
                   json={"amount": "1", "currency": "EUR", **evidence})
    funded.refused("/inputs/2/claims", "bo", 422, "priced in EUR", field="currency",
                   json={"amount": "1", "currency": "USD", **evidence})
    funded.refused("/inputs/2/claims", "bo", 422, "at most", field="amount",
                   json={"amount": "10.01", "currency": "EUR", **evidence})
    funded.refused("/inputs/2/claims", "bo", 422, "float",
                   json={"amount": 1.5, "currency": "EUR", **evidence})
    funded.ok("/inputs", "ada", {**FILAMENT, "title": "Lathe", "quantity": "1",
                                 "unit": "piece", "unit_cost": "500"})  # 3, pending
    funded.refused("/inputs/3/claims", "bo", 409, "not approved",
                   json={"amount": "1", "currency": "EUR", **evidence})
    made = funded.ok("/inputs/2/claims", "bo", {"amount": "10", "currency": "EUR", **evidence})
    seq = made["seq"]
    funded.refused(f"/claims/{seq}/payouts", "bo", 403, "Only a treasurer",
                   json={"method": "cash"})
    funded.ok(f"/claims/{seq}/payouts", "ada", {"method": "cash"})
    funded.refused(f"/claims/{seq}/payouts", "ada", 409, "paid already",
                   json={"method": "cash"})


def _bearer(client: Api, who: str) -> dict:
    return {"Authorization": f"Bearer {client.tokens[who]}"}


def test_a_claim_names_an_uploaded_evidence_file(funded: Api):
    scan = b"%PDF-1.4 invoice for 4 kg"
    uploaded = funded.post("/evidence?name=invoice.pdf", "bo", data=scan,
                           content_type="application/pdf")
    assert uploaded.status_code == 201, uploaded.get_json()
    sha256 = uploaded.get_json()["sha256"]
    made = funded.ok("/inputs/2/claims", "bo", {
        "amount": "10", "currency": "EUR", "evidence_sha256": sha256,
        "evidence_name": "invoice.pdf", "evidence_type": "application/pdf"})
    assert made["data"]["evidence"] == {"sha256": sha256, "size": len(scan),
                                        "name": "invoice.pdf", "type": "application/pdf"}
    served = funded.client.get(f"/projects/dryer/evidence/{sha256}")
    assert served.status_code == 200 and served.data == scan
    served.close()
    funded.refused("/inputs/2/claims", "bo", 422, "Upload it first",
                   json={"amount": "1", "currency": "EUR", "evidence_sha256": "0" * 64})


def test_claims_page_by_cursor_newest_first(funded: Api):
    for _ in range(3):  # 5, 6, 7
        funded.ok("/inputs/2/claims", "bo", {
            "amount": "1.00", "currency": "EUR", "description": "a spool",
            "evidence_url": "https://example.org/receipt.pdf"})
    first = funded.get("/claims?limit=2")
    body = first.get_json()
    assert [c["seq"] for c in body["claims"]] == [7, 6]
    assert body["next"].startswith("http://") and "limit=2" in body["next"]
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    last = funded.client.get(body["next"])
    assert [c["seq"] for c in last.get_json()["claims"]] == [5]
    assert last.get_json()["next"] is None and "Link" not in last.headers
    # Made up, or well formed but past what the columns hold (PostgreSQL
    # would refuse to compare with it).
    for cursor in ("bm9wZQ", paging.encode([2**31, 0]), paging.encode([7, 2**40])):
        bad = funded.get(f"/claims?cursor={cursor}")
        assert bad.status_code == 400 and "cursor" in bad.get_data(as_text=True), cursor
