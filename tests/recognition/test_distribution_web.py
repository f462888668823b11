"""Distributions through the pages (with their CSRF tokens) and the JSON
API, and in the exports: the preview shows each person's amount before
anything is opened, the proposal page shows the shares and the
arithmetic before any stance, the list shows each payout's status, and
the CSV, JSON and Valueflows exports carry the distribution and its
claims with exact decimals."""

import base64
import json
import re
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from commons.extensions import db
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.ledger import services as ledger
from commons.ledger.models import Claim
from commons.recognition.models import RecognitionRule
from tests.conftest import Browser
from tests.recognition.test_distributions import name_treasurer, receive

PASSWORD = "x" * 12


class FreshClient(FlaskClient):
    """Each request in an app context of its own, as in production: the
    team fixture keeps one open, which requests would otherwise share (its
    ``g`` and its session)."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def month(team):
    """As in test_distributions, with the confirmations set on the rows (the
    JSON-LD of confirmation entries is another part's)."""
    team.project.approval_amount, team.project.approval_currency = Decimal("100000"), "EUR"
    db.session.add(RecognitionRule(project_id=team.project.id, version=1,
                                   weights={"care": "1.5"}, onerous_multiplies=False,
                                   adopted_at=team.clock()))
    db.session.commit()
    team.app.test_client_class = FreshClient
    receive(team)
    team.work(team.bo, "4", "care", confirmed_by=team.ada)
    team.work(team.cy, "6", "routine", confirmed_by=team.bo)
    name_treasurer(team, "ada")
    team.clock.advance(days=25)
    return team


def browser(team, name):
    client = Browser(team.app.test_client())
    assert client.login(name, PASSWORD).status_code == 302
    return client


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def proposals():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))


def test_preview_then_propose_then_pass_and_pay_through_the_pages(month):
    bo, ada = browser(month, "bo"), browser(month, "ada")
    page = "/projects/dryer/distributions/new"
    assert "Available to share" in text(bo.client.get(page))
    # A refusal re-shows the form filled in, writes nothing.
    head = ledger.head(db.session, month.project)
    refused = bo.submit(page, {"period": "2026-03", "amount": "900", "currency": "EUR",
                               "propose": "1"})
    assert refused.status_code == 422
    assert "Only 300.00 EUR is available" in text(refused) and 'value="900"' in \
        refused.get_data(as_text=True)
    assert proposals() == 1 and ledger.head(db.session, month.project) == head
    # The preview shows each person's amount and opens nothing.
    shown = bo.submit(page, {"period": "2026-03", "amount": "300.00", "currency": "EUR",
                             "show": "1"})
    assert shown.status_code == 200, text(shown)[:2000]
    words = text(shown)
    assert "bo 4 6 150.000000 150.00 EUR" in words, words
    assert "cy 6 6 150.000000 150.00 EUR" in words
    assert "largest fractions" in words and proposals() == 1
    opened = bo.submit(page, {"period": "2026-03", "amount": "300.00", "currency": "EUR",
                              "propose": "1"})
    assert opened.status_code == 302 and opened.location == "/projects/dryer/proposals/2"
    # The proposal page shows the shares before anyone takes a stance.
    words = text(Browser(month.app.test_client()).client.get("/projects/dryer/proposals/2"))
    assert "bo 4 6 150.000000 150.00 EUR" in words and "Stances: 0 support" in words
    assert "what you consent to" in words
    # A non-member is refused the page.
    assert browser(month, "dee").client.get(page).status_code == 403
    month.clock.advance(days=4)
    governance.decide_due(db.session, month.settings(), month.clock())
    db.session.commit()
    listed = text(ada.client.get("/projects/dryer/distributions"))
    assert "2026-03: 300.00 EUR" in listed and "passed" in listed
    seq = db.session.scalar(sa.select(Claim.seq).where(Claim.share == 1))
    assert f"owed claim #{seq}.1" in listed
    claims = ada.client.get("/projects/dryer/ledger/claims").get_data(as_text=True)
    assert f'id="payout-form-{seq}.1"' in claims and "as share 1 of a" in claims
    paid = ada.submit("/projects/dryer/ledger/claims",
                      {f"payout-{seq}.1-method": "bank transfer",
                       f"payout-{seq}.1-reference": "SEPA 9"},
                      action=f"/projects/dryer/claims/{seq}/shares/1/payouts")
    assert paid.status_code == 302 and paid.location.endswith(f"#claim-{seq}.1")
    assert "paid" in text(ada.client.get("/projects/dryer/distributions"))
    assert db.session.scalar(sa.select(Claim.status).where(Claim.share == 1)) == "paid"
    journal = text(Browser(month.app.test_client()).client.get("/projects/dryer/ledger/journal"))
    assert ("Shares 300.00 EUR of the funds for 2026-03 by the value rule (version 1 at the month's end): "
            "bo 150.00, cy 150.00; proposal #2 passed") in journal
    assert f"settling claim #{seq}.1 , a share of a distribution" in journal


def token(team, name) -> dict:
    raw = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
    answer = team.app.test_client().post("/api/v1/tokens", json={"name": "t"},
                                         headers={"Authorization": f"Basic {raw}"})
    assert answer.status_code == 201, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_api_proposes_lists_and_pays(month):
    client = month.app.test_client()
    url = "/api/v1/projects/dryer/distributions"
    bo, ada, dee = token(month, "bo"), token(month, "ada"), token(month, "dee")
    head = ledger.head(db.session, month.project)
    for who, body, status, words in [
            (dee, {"period": "2026-03", "amount": "10", "currency": "EUR"}, 403, "Only members"),
            (bo, {"period": "2026-03", "amount": "300.01", "currency": "EUR"}, 422,
             "available"),
            (bo, {"period": "2026-03", "amount": 1.5, "currency": "EUR"}, 422, "float"),
            (bo, {"period": "2026-02", "amount": "10", "currency": "EUR"}, 422, "Nobody"),
            (bo, {"period": "2026-03", "amount": "10", "currency": "JPY"}, 422, "JPY")]:
        answer = client.post(url, json=body, headers=who)
        assert answer.status_code == status and words in json.dumps(answer.get_json()), \
            answer.get_json()
    assert proposals() == 1 and ledger.head(db.session, month.project) == head
    made = client.post(url, json={"period": "2026-03", "amount": "300", "currency": "EUR"},
                       headers=bo)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["kind"] == "distribution"
    assert [s["amount"] for s in made.get_json()["details"]["shares"]] == ["150.00", "150.00"]
    again = client.post(url, json={"period": "2026-03", "amount": "1", "currency": "EUR"},
                        headers=bo)
    assert again.status_code == 409 and "already proposes" in again.get_json()["error"]
    month.clock.advance(days=4)
    governance.decide_due(db.session, month.settings(), month.clock())
    db.session.commit()
    listed = client.get(url).get_json()
    [d] = listed["distributions"]
    assert listed["available"] == {"EUR": "0.00"}
    assert (d["status"], d["period"], d["amount"]) == ("passed", "2026-03", "300.00")
    seq = d["entry"]
    assert [(s["user"], s["claim"], s["status"]) for s in d["shares"]] == [
        ("bo", f"{seq}.1", "approved"), ("cy", f"{seq}.2", "approved")]
    paid = client.post(f"/api/v1/projects/dryer/claims/{seq}/shares/2/payouts",
                       json={"method": "cash"}, headers=ada)
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["claim"] == {
        "seq": seq, "input": None, "share": 2, "distribution": seq, "claimant": "cy",
        "amount": "150.00", "currency": "EUR", "status": "paid", "proposal": None,
        "description": "Share of the distribution for 2026-03 (proposal #2)",
        "payout": {"seq": seq + 1, "method": "cash", "reference": None,
                   "date": "2026-04-03"}}
    assert client.post(f"/api/v1/projects/dryer/claims/{seq}/shares/2/payouts",
                       json={"method": "cash"}, headers=ada).status_code == 409
    assert client.post(f"/api/v1/projects/dryer/claims/{seq}/shares/1/payouts",
                       json={"method": "cash"}, headers=bo).status_code == 403

    # The exports: the distribution and its claims, decimals exact.
    exported = client.get("/api/v1/projects/dryer/ledger.json").get_json()
    shares = [c for c in exported["claims"] if c["share"]]
    assert [(c["seq"], c["share"], c["claimant"], c["amount"], c["status"]) for c in shares] \
        == [(seq, 1, "bo", "150.00", "approved"), (seq, 2, "cy", "150.00", "paid")]
    entry = next(e for e in exported["entries"] if e["action"] == "distribution")
    assert entry["data"]["shares"][0] == {"user": "bo", "recognition": "6",
                                          "amount": "150.00"}
    csv = client.get("/api/v1/projects/dryer/ledger.csv").get_data(as_text=True)
    assert ",distribution,,300.00,EUR," in csv and ",payout,,150.00,EUR," in csv
    graph = json.loads(client.get("/api/v1/projects/dryer/ledger.jsonld")
                       .get_data(as_text=True))["@graph"]
    node = next(n for n in graph if n.get("commons:action") == "distribution")
    [first, second] = node["commons:shares"]
    assert first["@type"] == "vf:Claim" and first["vf:receiver"] == {
        "@id": "http://commons.test/users/bo"}
    assert second["vf:resourceQuantity"]["om2:hasNumericalValue"] == {
        "@value": "150.00", "@type": "xsd:decimal"}
    payout = next(n for n in graph if n.get("commons:action") == "payout")
    assert payout["vf:settles"] == {"@id": second["@id"]}
