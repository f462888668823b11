"""A claim whose proposal does not pass, and a claim its claimant
withdraws (issue 20): a ``claim_refuse`` entry makes it `refused`, never
paid and no longer counted against what may be claimed; `ledger verify`
folds it and catches its tampering. Real databases (both, by the suite's
settings), pages and API."""

import json
from decimal import Decimal

import pytest

from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services
from commons.problems import Conflict, Forbidden
from tests.ledger.test_api import Api, api  # noqa: F401 (the fixture)
from tests.ledger.test_claims_api import funded as api_funded  # noqa: F401
from tests.ledger.test_funds import claim, funded, pay, refused  # noqa: F401 (the fixture)
from tests.ledger.test_verify import tamper, verify


@pytest.fixture
def lathe(funded):  # noqa: F811
    """Input #3, a lathe at 500 EUR that cy pledged and that arrived (its
    input proposal passed), and bo's claim of 480 EUR on it: pending, its
    `claim` proposal open. Returns (ledger, the claim)."""
    funded.need(title="Lathe", kind="equipment", quantity="1", unit="piece", unit_cost="500",
                by=funded.bo)
    services.pledge(db.session, funded.project, funded.cy, 3, "1", "I chip in",
                    now=funded.clock())
    db.session.commit()
    funded.clock.advance(days=4)
    funded.tick()
    services.record_receipt(db.session, funded.project, funded.bo, 3, "1", "bo",
                            pledge_seq="", now=funded.clock())
    db.session.commit()
    made = claim(funded, funded.bo, 3, "480")
    assert made.status == "pending"
    return funded, made


def refusal_of(ledger, seq: int) -> dict:
    head = services.head(db.session, ledger.project)[0]
    entry = services.get_entry(db.session, ledger.project, head)
    assert entry.action == "claim_refuse"
    data = services.entry_data(entry)
    assert data["claim"] == seq
    return data


def test_a_claim_proposal_a_vote_blocks_refuses_the_claim(lathe):
    ledger, made = lathe
    proposal = governance.open_claim_proposal(db.session, ledger.project, made.seq)
    governance.take_stance(db.session, proposal, ledger.cy, "object",
                           "The lathe was mostly paid by my pledge.", ledger.clock())
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    db.session.commit()
    assert decision.status == "blocked"
    # Blocked by an objection is not decided for good: it may still be
    # revised or put to a vote, so the claim waits.
    assert services.get_claim(db.session, ledger.project, made.seq).status == "pending"
    governance.escalate(db.session, proposal, ledger.project, ledger.ada, ledger.settings(),
                        ledger.clock())
    governance.take_stance(db.session, proposal, ledger.cy, "object",
                           "Still mostly paid by my pledge.", ledger.clock())
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    db.session.commit()
    assert (decision.status, decision.voting) == ("blocked", "majority")
    # Nothing is left to decide: the proposal is withdrawn, saying why.
    db.session.refresh(proposal)
    assert proposal.status == "withdrawn"
    assert "the vote did not carry" in proposal.events[-1].text
    refused_claim = services.get_claim(db.session, ledger.project, made.seq)
    assert refused_claim.status == "refused"
    data = refusal_of(ledger, made.seq)
    assert (data["reason"], data["proposal"]) == ("refused", proposal.number)
    # No longer counted against what may be claimed: the same 480 EUR may be claimed again.
    again = claim(ledger, ledger.bo, 3, "480")
    assert again.status == "pending"
    # Never paid, and not owed.
    assert "refused" in refused(ledger, Conflict, lambda: pay(ledger, ledger.ada, made.seq))
    [row] = services.owed_and_paid(db.session, ledger.bo)
    assert row["owed"] == {} and row["pending"] == {"EUR": Decimal("480.00")}
    assert verify(ledger).exit_code == 0
    assert services.verify(db.session, ledger.project, batch=2, split=True).intact
    # Approving it afterwards (a revised proposal passing) fails, and says why.
    with pytest.raises(Conflict, match="refused or withdrawn"):
        services.approve_claim(db.session, ledger.project, made.seq, proposal.number,
                               ledger.clock())
    db.session.rollback()


def test_the_claimant_withdrawing_the_proposal_withdraws_the_claim(lathe):
    ledger, made = lathe
    proposal = governance.open_claim_proposal(db.session, ledger.project, made.seq)
    assert proposal.author_id == ledger.bo.id
    governance.withdraw_proposal(db.session, proposal, ledger.bo, ledger.clock())
    db.session.commit()
    assert services.get_claim(db.session, ledger.project, made.seq).status == "refused"
    data = refusal_of(ledger, made.seq)
    assert (data["reason"], data["proposal"]) == ("withdrawn", proposal.number)
    assert verify(ledger).exit_code == 0


def test_the_claimant_withdraws_a_pending_claim_and_its_proposal(lathe):
    ledger, made = lathe
    proposal = governance.open_claim_proposal(db.session, ledger.project, made.seq)
    # Nobody else withdraws it; nothing is written.
    for who in (ledger.ada, ledger.cy):
        assert "Only the member who made a claim" in refused(
            ledger, Forbidden, lambda who=who: services.withdraw_claim(
                db.session, ledger.project, who, made.seq, ledger.clock()))
    services.withdraw_claim(db.session, ledger.project, ledger.bo, made.seq, ledger.clock())
    db.session.commit()
    assert services.get_claim(db.session, ledger.project, made.seq).status == "refused"
    data = refusal_of(ledger, made.seq)
    assert (data["reason"], data["proposal"]) == ("withdrawn by the claimant", None)
    db.session.refresh(proposal)
    assert proposal.status == "withdrawn"
    assert governance.open_claim_proposal(db.session, ledger.project, made.seq) is None
    assert "already" in refused(ledger, Conflict, lambda: services.withdraw_claim(
        db.session, ledger.project, ledger.bo, made.seq, ledger.clock()))
    assert verify(ledger).exit_code == 0


def test_an_approved_unpaid_claim_is_withdrawn_and_a_paid_one_is_not(funded):  # noqa: F811
    owed = claim(funded, funded.bo, 2, "4")       # below the threshold: approved at once
    paid = claim(funded, funded.bo, 2, "6")
    pay(funded, funded.ada, paid.seq)
    assert owed.status == "approved"
    services.withdraw_claim(db.session, funded.project, funded.bo, owed.seq, funded.clock())
    db.session.commit()
    assert services.get_claim(db.session, funded.project, owed.seq).status == "refused"
    [row] = services.owed_and_paid(db.session, funded.bo)
    assert (row["owed"], row["paid"]) == ({}, {"EUR": Decimal("6.00")})
    assert "paid already" in refused(funded, Conflict, lambda: services.withdraw_claim(
        db.session, funded.project, funded.bo, paid.seq, funded.clock()))
    # What arrived (10 EUR worth) less the paid 6: 4 EUR may be claimed again.
    assert claim(funded, funded.bo, 2, "4").status == "approved"
    assert verify(funded).exit_code == 0


@pytest.mark.parametrize("sql", [
    "UPDATE ledger_claims SET status = 'approved' WHERE project_id = :project AND seq = :seq",
    "DELETE FROM ledger_entries WHERE project_id = :project AND action = 'claim_refuse' "
    "AND seq = :head"])
def test_tampering_with_a_refusal_is_caught(funded, sql):  # noqa: F811
    made = claim(funded, funded.bo, 2, "4")
    services.withdraw_claim(db.session, funded.project, funded.bo, made.seq, funded.clock())
    db.session.commit()
    head = services.head(db.session, funded.project)[0]
    tamper(funded, sql, seq=made.seq, head=head)
    assert verify(funded).exit_code == 1
    db.session.commit()
    for split in (True, False):
        assert not services.verify(db.session, funded.project, batch=2, split=split).intact


# ---------------------------------------------------------------- API and pages

def test_the_api_withdraws_and_shows_refused(api_funded: Api):  # noqa: F811
    made = api_funded.ok("/inputs/2/claims", "bo", {
        "amount": "4.00", "currency": "EUR", "evidence_url": "https://example.org/i.pdf"})
    path = f"/claims/{made['seq']}/withdrawal"
    api_funded.refused(path, "ada", 403, "Only the member who made a claim")
    answer = api_funded.ok(path, "bo")
    assert answer["action"] == "claim_refuse"
    assert answer["data"]["reason"] == "withdrawn by the claimant"
    assert answer["claim"]["status"] == "refused"
    api_funded.refused(path, "bo", 409, "already")
    listed = api_funded.get("/claims").get_json()["claims"]
    assert [(c["seq"], c["status"]) for c in listed] == [(made["seq"], "refused")]
    page = api_funded.client.get("/projects/dryer/ledger/claims").get_data(as_text=True)
    assert "claim-refused" in page
    exported = json.loads(api_funded.get("/ledger.json").get_data(as_text=True))
    assert exported["claims"][0]["status"] == "refused"
    assert "claim_refuse" in api_funded.get("/ledger.jsonld").get_data(as_text=True)


def test_the_claimant_withdraws_from_the_claims_page(funded):  # noqa: F811
    from tests.conftest import Browser
    made = claim(funded, funded.bo, 2, "4")
    bo = Browser(funded.app.test_client())
    assert bo.login("bo", "x" * 12).status_code == 302
    page = bo.client.get("/projects/dryer/ledger/claims").get_data(as_text=True)
    assert f"Withdraw claim #{made.seq}" in page
    response = bo.button("/projects/dryer/ledger/claims",
                         f"/projects/dryer/claims/{made.seq}/withdrawal")
    assert response.status_code == 302
    page = bo.client.get("/projects/dryer/ledger/claims").get_data(as_text=True)
    assert "claim-refused" in page and f"Withdraw claim #{made.seq}" not in page
    assert services.get_claim(db.session, funded.project, made.seq).status == "refused"
