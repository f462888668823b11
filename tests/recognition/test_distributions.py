"""Distributions on a real database (SQLite and PostgreSQL by the suite's
settings): a member proposes to share an amount of the funds for a month,
each person's share computed and fixed in the proposal; every refusal
writes nothing; passing makes one approved claim per share that the
treasurer's payout flow pays, closes the month, and ``ledger verify``
folds it (both walks) and catches tampering with it."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.ledger import services as ledger
from commons.ledger.confirmations import confirm_work
from commons.ledger.models import Claim
from commons.problems import Conflict, Forbidden, Invalid
from commons.recognition import distributions
from commons.recognition.models import ClosedPeriod, RecognitionRule
from commons.recognition.proposing import propose_distribution
from tests.ledger.test_verify import tamper, verify

EVIDENCE = "https://example.org/invoice.pdf"


def receive(team, amount="300", currency="EUR"):
    """A grant of *amount* *currency* received: the project's funds."""
    need = ledger.record_need(db.session, team.project, team.ada, ledger.NeedForm(
        title=f"Grant in {currency}", kind="money", quantity=amount, unit=currency,
        unit_cost=None, currency=None), team.clock())
    ledger.record_receipt(db.session, team.project, team.ada, need.number, amount,
                          "City council", pledge_seq="", now=team.clock())
    db.session.commit()
    return need


def work(team, who, hours, category, by):
    """*who* logs *hours*; *by* confirms them (the real confirmation)."""
    log = team.work(who, hours, category)
    confirm_work(db.session, team.project, by, log.seq, now=team.clock())
    db.session.commit()
    return log


def name_treasurer(team, username):
    governance.open_proposal(db.session, team.project, team.ada, "policy", "Treasurer", "",
                             {"treasurer_grant": username}, team.settings(), team.clock())
    db.session.commit()
    team.clock.advance(days=4)
    governance.decide_due(db.session, team.settings(), team.clock())
    db.session.commit()


@pytest.fixture
def month(team):
    """March 2026: 300 EUR received; bo did 4 h of care, cy 6 h of routine
    (each confirmed by another member), ada nothing; a rule weighting care
    1.5 adopted before; ada is the treasurer. The clock is at 30 March."""
    # A threshold the grant stays under: it needs no input proposal here.
    team.project.approval_amount, team.project.approval_currency = Decimal("100000"), "EUR"
    # The rule as a passed policy proposal stores it (that proposal is
    # another part of issue 20).
    db.session.add(RecognitionRule(project_id=team.project.id, version=1,
                                   weights={"care": "1.5"}, onerous_multiplies=False,
                                   adopted_at=team.clock()))
    db.session.commit()
    receive(team)
    work(team, team.bo, "4", "care", team.ada)
    work(team, team.cy, "6", "routine", team.bo)
    team.work(team.bo, "3", "care")  # never confirmed: does not count
    name_treasurer(team, "ada")  # 9 March
    team.clock.advance(days=25)  # 3 April
    return team


def propose(team, who=None, period="2026-03", amount="300.00", currency="EUR"):
    made = propose_distribution(db.session, team.project, who or team.bo, period, amount,
                                currency, team.settings(), team.clock())
    db.session.commit()
    return made


def test_opening_fixes_each_share_and_every_member_is_a_party(month):
    proposal = propose(month)
    details = proposal.details
    # 4 h × 1.5 = 6 and 6 h × 1 = 6: half each.
    assert details == {
        "period": "2026-03", "amount": "300.00", "currency": "EUR", "rule_version": 1,
        "total_recognition": "12",
        "shares": [{"user": "bo", "recognition": "6", "hours": "4", "amount": "150.00"},
                   {"user": "cy", "recognition": "6", "hours": "6", "amount": "150.00"}]}
    assert sum(Decimal(s["amount"]) for s in details["shares"]) == Decimal("300.00")
    assert sorted(p.name for p in proposal.affected) == ["ada", "bo", "cy"]
    assert proposal.title == "Share 300.00 EUR for 2026-03 by the value rule"


def _refused(team, problem, call):
    head = ledger.head(db.session, team.project)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))
    with pytest.raises(problem) as raised:
        call()
    db.session.rollback()
    assert ledger.head(db.session, team.project) == head
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == count
    return raised.value


@pytest.mark.parametrize("period, amount, currency, field, words", [
    ("2026-03", "abc", "EUR", "amount", "number"),
    ("2026-03", "10.001", "EUR", "amount", "decimal"),
    ("2026-03", "0", "EUR", "amount", "more than zero"),
    ("2026-03", "300.01", "EUR", "amount", "Only 300.00 EUR is available"),
    ("2026-03", "10", "USD", "amount", "Only 0.00 USD is available"),
    ("2026-03", "10", "EURO", "currency", "ISO 4217"),
    ("2026-02", "10", "EUR", "period", "Nobody has recognition"),
    ("2026-13", "10", "EUR", "period", "YYYY-MM"),
    ("2026-05", "10", "EUR", "period", "has not begun"),
])
def test_bad_openings_say_why_and_write_nothing(month, period, amount, currency, field, words):
    problem = _refused(month, Invalid, lambda: propose(month, period=period, amount=amount,
                                                      currency=currency))
    assert problem.field == field and words in problem.message, problem.message


def test_a_non_member_cannot_propose(month):
    problem = _refused(month, Forbidden, lambda: propose(month, who=month.dee))
    assert "Only members" in problem.message


def test_open_distributions_reserve_their_amount_and_their_month(month):
    propose(month, amount="100.00")
    assert distributions.available_to_share(db.session, month.project, "EUR") == \
        Decimal("200.00")
    problem = _refused(month, Conflict, lambda: propose(month, amount="10.00"))
    assert "already proposes to share out 2026-03" in problem.message
    problem = _refused(month, Invalid, lambda: propose(month, period="2026-02",
                                                       amount="200.01"))
    assert "Only 200.00 EUR" in problem.message


def test_passing_makes_claims_the_treasurer_pays_and_closes_the_month(month):
    proposal = propose(month, amount="100.00")
    month.clock.advance(days=4)
    [decision] = governance.decide_due(db.session, month.settings(), month.clock())
    db.session.commit()
    db.session.refresh(proposal)
    assert proposal.status == "passed", proposal.outcome
    assert "await the treasurer's payout" in proposal.outcome
    claims = list(db.session.scalars(sa.select(Claim).where(Claim.distribution_seq.is_not(None))
                                     .order_by(Claim.share)))
    seq = claims[0].seq
    assert [(c.number, c.claimant.username, c.amount, c.status, c.input_id) for c in claims] == [
        (f"{seq}.1", "bo", Decimal("50.00"), "approved", None),
        (f"{seq}.2", "cy", Decimal("50.00"), "approved", None)]
    assert db.session.get(ClosedPeriod, (month.project.id, "2026-03")).distribution_seq == seq
    # Owed: the 100 shared is no longer available to share again.
    assert distributions.available_to_share(db.session, month.project, "EUR") == \
        Decimal("200.00")
    with pytest.raises(Forbidden):
        ledger.record_payout(db.session, month.project, month.bo, seq, "cash", share=1,
                             now=month.clock())
    db.session.rollback()
    paid = ledger.record_payout(db.session, month.project, month.ada, seq, "bank transfer",
                                "SEPA 7", share=2, now=month.clock())
    db.session.commit()
    assert (paid.status, paid.claimant.username) == ("paid", "cy")
    [fund] = ledger.project_funds(db.session, month.project)
    assert (fund.paid, fund.balance) == (Decimal("50.00"), Decimal("250.00"))
    with pytest.raises(Conflict, match="paid already"):
        ledger.record_payout(db.session, month.project, month.ada, seq, "cash", share=2,
                             now=month.clock())
    db.session.rollback()
    assert verify(month).exit_code == 0
    listed = distributions.list_distributions(db.session, month.project)
    assert [(d.entry_seq, sorted(d.claims)) for d in listed] == [(seq, ["bo", "cy"])]
    # A closed month is not shared twice.
    problem = _refused(month, Invalid, lambda: propose(month, amount="10.00"))
    assert "shared out already" in problem.message


def test_passing_is_refused_when_the_funds_no_longer_cover_it(month):
    proposal = propose(month, amount="300.00")
    # Meanwhile a member claims an expense the funds must pay first.
    need = ledger.record_need(db.session, month.project, month.ada, ledger.NeedForm(
        title="Mop", kind="material", quantity="1", unit="piece", unit_cost="20.00",
        currency="EUR"), month.clock())
    ledger.record_receipt(db.session, month.project, month.bo, need.number, "1", "bo",
                          pledge_seq="", now=month.clock())
    ledger.record_claim(db.session, month.project, month.bo, need.number, ledger.ClaimForm(
        amount="20.00", currency="EUR", evidence_url=EVIDENCE), now=month.clock())
    db.session.commit()
    head = ledger.head(db.session, month.project)
    month.clock.advance(days=4)
    governance.decide_due(db.session, month.settings(), month.clock())
    db.session.commit()
    db.session.refresh(proposal)
    assert proposal.status != "passed"
    assert "no longer cover" in (proposal.outcome or ""), proposal.outcome
    assert ledger.head(db.session, month.project) == head
    assert db.session.get(ClosedPeriod, (month.project.id, "2026-03")) is None


def passed(month, amount: str) -> int:
    """Share *amount* of March and let the proposal pass: its entry's seq."""
    propose(month, amount=amount)
    month.clock.advance(days=4)
    governance.decide_due(db.session, month.settings(), month.clock())
    db.session.commit()
    return db.session.scalar(sa.select(Claim.seq).where(Claim.distribution_seq.is_not(None)))


def test_an_expense_approved_later_does_not_spend_what_the_shares_are_owed(month):
    seq = passed(month, "280.00")
    # After the month was shared out, bo buys a mop and claims it (approved:
    # under the threshold). 300 EUR are held, 280 of them owed to the shares.
    need = ledger.record_need(db.session, month.project, month.ada, ledger.NeedForm(
        title="Mop", kind="material", quantity="1", unit="piece", unit_cost="30.00",
        currency="EUR"), month.clock())
    ledger.record_receipt(db.session, month.project, month.bo, need.number, "1", "bo",
                          pledge_seq="", now=month.clock())
    expense = ledger.record_claim(db.session, month.project, month.bo, need.number,
                                  ledger.ClaimForm(amount="30.00", currency="EUR",
                                                   evidence_url=EVIDENCE), now=month.clock())
    db.session.commit()
    assert expense.status == "approved"

    def pay_expense():
        return ledger.record_payout(db.session, month.project, month.ada, expense.seq, "cash",
                                    now=month.clock())

    problem = _refused(month, Conflict, pay_expense)
    assert "280.00 EUR is owed to distribution shares" in problem.message, problem.message
    assert "only 20.00 EUR is free" in problem.message
    # The claims page says so beside the funds, before anyone presses Pay.
    assert "Of the EUR balance, 280.00 EUR is owed to distribution shares not paid yet" in \
        claims_page(month)
    # Paying a share leaves the other share's money set aside still.
    ledger.record_payout(db.session, month.project, month.ada, seq, "cash", share=1,
                         now=month.clock())
    db.session.commit()
    assert "only 20.00 EUR is free" in _refused(month, Conflict, pay_expense).message
    # Once money comes in, the expense is paid from it.
    receive(month, amount="10")
    assert pay_expense().status == "paid"
    db.session.commit()
    [fund] = ledger.project_funds(db.session, month.project)
    assert (fund.paid, fund.balance) == (Decimal("170.00"), Decimal("140.00"))
    # And the other share is still paid in full.
    ledger.record_payout(db.session, month.project, month.ada, seq, "cash", share=2,
                         now=month.clock())
    db.session.commit()
    assert ledger.project_funds(db.session, month.project)[0].balance == Decimal("0.00")
    assert "owed to distribution shares" not in claims_page(month)
    assert verify(month).exit_code == 0


def claims_page(team) -> str:
    with team.app.test_client() as client:
        response = client.get(f"/projects/{team.project.slug}/ledger/claims")
        assert response.status_code == 200
        return " ".join(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)).split())


@pytest.fixture
def shared(month):
    seq = passed(month, "100.00")
    ledger.record_payout(db.session, month.project, month.ada, seq, "cash", share=1,
                         now=month.clock())
    db.session.commit()
    return month, seq


@pytest.mark.parametrize("sql, words", [
    ("UPDATE ledger_claims SET amount = '60.00' WHERE project_id = :project AND share = 2",
     "share 2 of distribution"),
    ("UPDATE ledger_claims SET status = 'paid' WHERE project_id = :project AND share = 2",
     "share 2 of distribution"),
    ("DELETE FROM ledger_claims WHERE project_id = :project AND share = 1",
     "share 1 of distribution"),
    ("UPDATE ledger_entries SET payload = replace(payload, '\"50.00\"', '\"90.00\"') "
     "WHERE project_id = :project AND action = 'distribution'", "entry"),
])
def test_verify_catches_tampering_with_a_distribution_or_its_claims(shared, sql, words):
    team, seq = shared
    assert verify(team).exit_code == 0
    for split in (True, False):
        db.session.commit()
        assert ledger.verify(db.session, team.project, batch=3, split=split).intact
    tamper(team, sql)
    result = verify(team)
    assert result.exit_code == 1 and words in result.output, result.output
    for split in (True, False):
        db.session.commit()
        found = ledger.verify(db.session, team.project, batch=3, split=split)
        assert not found.intact or found.problem, found
        db.session.rollback()
