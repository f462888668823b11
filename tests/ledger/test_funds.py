"""Funds, expense claims and payouts on a real database (both, by the
suite's settings): money received is the project's funds per currency; a
member claims what they paid for an approved input; a treasurer named by a
policy proposal pays it. Every refusal leaves the journal head where it
was."""

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.accounts.models import User
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services
from commons.ledger.models import Claim, Fund
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Project
from tests.ledger.test_verify import tamper, verify

EVIDENCE = "https://example.org/invoice.pdf"


def claim(ledger, who, number, amount, currency="EUR", **extra):
    made = services.record_claim(db.session, ledger.project, who, number, services.ClaimForm(
        amount=amount, currency=currency, evidence_url=extra.pop("evidence_url", EVIDENCE),
        **extra), now=ledger.clock())
    db.session.commit()
    return made


def pay(ledger, who, seq, method="bank transfer", reference="TX-1"):
    paid = services.record_payout(db.session, ledger.project, who, seq, method, reference,
                                  now=ledger.clock())
    db.session.commit()
    return paid


def name_treasurer(ledger, username, key="treasurer_grant"):
    governance.open_proposal(db.session, ledger.project, ledger.ada, "policy",
                             f"{username} keeps the money", "", {key: username},
                             ledger.settings(), ledger.clock())
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    db.session.commit()
    return decision


@pytest.fixture
def funded(ledger):
    """90 EUR given (input #1, money), 20 kg of filament at 2.50 EUR (#2)
    of which 4 kg arrived (10.00 EUR worth), and ada a treasurer."""
    project, clock = ledger.project, ledger.clock
    ledger.need(title="Workshop grant", kind="money", quantity="90", unit="EUR",
                unit_cost=None, currency=None)
    services.record_receipt(db.session, project, ledger.ada, 1, "90", "City council",
                            pledge_seq="", now=clock())
    ledger.need()  # 2
    services.record_receipt(db.session, project, ledger.bo, 2, "4", "bo", pledge_seq="",
                            now=clock())
    db.session.commit()
    name_treasurer(ledger, "ada")
    return ledger


def refused(ledger, problem, call):
    before = services.head(db.session, ledger.project)
    with pytest.raises(problem) as raised:
        call()
    db.session.rollback()
    assert services.head(db.session, ledger.project) == before
    return raised.value.message


def test_money_received_is_the_projects_funds_per_currency(funded):
    [fund] = services.project_funds(db.session, funded.project)
    assert (fund.currency, fund.received, fund.paid, fund.balance) == \
        ("EUR", Decimal("90.00"), Decimal("0.00"), Decimal("90.00"))
    services.correct(db.session, funded.project, funded.ada, 2, {"quantity": "-0.50"},
                     "the bank kept a fee", funded.clock())
    db.session.commit()
    assert services.project_funds(db.session, funded.project)[0].balance == Decimal("89.50")
    # Goods received are not money: the filament receipt added no fund.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Fund)) == 1


def test_a_member_claims_and_a_treasurer_pays(funded):
    made = claim(funded, funded.bo, 2, "10.00", description="4 kg from the shop")
    assert made.status == "approved"  # 10 EUR is within the 100 EUR threshold
    paid = pay(funded, funded.ada, made.seq)
    assert paid.status == "paid" and paid.method == "bank transfer"
    assert services.project_funds(db.session, funded.project)[0].balance == Decimal("80.00")
    [row] = services.owed_and_paid(db.session, funded.bo)
    assert row["paid"] == {"EUR": Decimal("10.00")} and not row["owed"]
    assert verify(funded).exit_code == 0


def test_claims_refused_with_nothing_written(funded, ledger):
    funded.need(title="Lathe", kind="equipment", quantity="1", unit="piece", unit_cost="500")
    cases = [
        (Conflict, lambda: claim(funded, funded.bo, 3, "5"), "not approved"),
        (Invalid, lambda: claim(funded, funded.bo, 2, "10.01"), "at most"),
        (Invalid, lambda: claim(funded, funded.bo, 2, "5", "USD"), "priced in EUR"),
        (Forbidden, lambda: claim(funded, funded.cy, 2, "5"), "Join the project"),
        (Conflict, lambda: claim(funded, funded.bo, 1, "5"), "money given"),
        (Invalid, lambda: claim(funded, funded.bo, 2, "5", evidence_url=""), "evidence"),
        (Invalid, lambda: claim(funded, funded.bo, 2, "-5"), "negative"),
    ]
    for problem, call, words in cases:
        assert words in refused(funded, problem, call)
    claim(funded, funded.bo, 2, "6")
    # What was claimed already counts: 4 EUR of the 10 are left.
    assert "4.00 EUR" in refused(funded, Invalid, lambda: claim(funded, funded.ada, 2, "4.01"))


def test_payouts_refused_with_nothing_written(funded):
    made = claim(funded, funded.bo, 2, "10")
    assert "Only a treasurer" in refused(funded, Forbidden, lambda: pay(funded, funded.bo,
                                                                         made.seq))
    pay(funded, funded.ada, made.seq)
    assert "paid already" in refused(funded, Conflict, lambda: pay(funded, funded.ada,
                                                                    made.seq))
    assert "no expense claim #99" in refused(funded, Exception,
                                             lambda: pay(funded, funded.ada, 99))


def test_a_payout_above_the_funds_is_refused(ledger):
    ledger.need(title="Grant", kind="money", quantity="5", unit="EUR", unit_cost=None,
                currency=None)
    services.record_receipt(db.session, ledger.project, ledger.ada, 1, "5", "donor",
                            pledge_seq="", now=ledger.clock())
    ledger.need()  # 2
    services.record_receipt(db.session, ledger.project, ledger.bo, 2, "4", "bo",
                            pledge_seq="", now=ledger.clock())
    db.session.commit()
    name_treasurer(ledger, "ada")
    made = claim(ledger, ledger.bo, 2, "10")
    message = refused(ledger, Conflict, lambda: pay(ledger, ledger.ada, made.seq))
    assert "holds 5.00 EUR" in message
    assert services.get_claim(db.session, ledger.project, made.seq).status == "approved"


def test_a_claim_above_the_threshold_waits_for_the_members(funded):
    funded.need(title="Lathe", kind="equipment", quantity="1", unit="piece", unit_cost="500",
                by=funded.bo)  # 3, pending: its proposal is #2
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
    proposal = governance.open_claim_proposal(db.session, funded.project, made.seq)
    assert proposal is not None and proposal.kind == "claim"
    # The pledger has standing, as on the input's own proposal.
    assert {party.name for party in proposal.affected} == {"cy"}
    assert "awaits" in refused(funded, Conflict, lambda: pay(funded, funded.ada, made.seq))
    funded.clock.advance(days=4)
    funded.tick()
    db.session.commit()
    assert services.get_claim(db.session, funded.project, made.seq).status == "approved"
    [row] = services.owed_and_paid(db.session, funded.bo)
    assert row["owed"] == {"EUR": Decimal("480.00")}
    assert verify(funded).exit_code == 0


def test_the_treasurer_is_removed_by_a_policy_proposal(funded):
    name_treasurer(funded, "ada", key="treasurer_remove")
    made = claim(funded, funded.bo, 2, "1")
    assert "Only a treasurer" in refused(funded, Forbidden, lambda: pay(funded, funded.ada,
                                                                         made.seq))
    with pytest.raises(Invalid, match="not a member"):
        governance.open_proposal(db.session, funded.project, funded.ada, "policy", "cy", "",
                                 {"treasurer_grant": "cy"}, funded.settings(), funded.clock())
    db.session.rollback()


def test_tampering_with_a_payout_is_caught(funded):
    made = claim(funded, funded.bo, 2, "10")
    pay(funded, funded.ada, made.seq)
    assert verify(funded).exit_code == 0
    seq = services.head(db.session, funded.project)[0]
    # The stored fund changed behind the journal's back: the rebuilt one differs.
    tamper(funded, "UPDATE ledger_funds SET paid = '1.00' WHERE project_id = :project")
    result = verify(funded)
    assert result.exit_code == 1 and "funds in EUR" in result.output, result.output
    tamper(funded, "UPDATE ledger_funds SET paid = '10.00' WHERE project_id = :project")
    # The payout's own entry rewritten: its hash no longer matches.
    tamper(funded, "UPDATE ledger_entries SET payload = replace(payload, '\"10.00\"', "
                   "'\"1.00\"') WHERE project_id = :project AND seq = :seq", seq=seq)
    result = verify(funded)
    assert result.exit_code == 1 and f"entry {seq}" in result.output, result.output


def test_tampering_with_a_claim_row_is_caught(funded):
    made = claim(funded, funded.bo, 2, "10")
    tamper(funded, "UPDATE ledger_claims SET amount = '9.00' WHERE project_id = :project")
    result = verify(funded)
    assert result.exit_code == 1 and f"claim #{made.seq}" in result.output, result.output


def test_two_treasurers_paying_one_claim_at_once_pay_it_once(funded):
    name_treasurer(funded, "bo")
    made = claim(funded, funded.ada, 2, "10")
    # Read before the threads start: an expired attribute of the test's own
    # objects would load through the test's session, from two threads at once.
    app, project_id, claim_seq = funded.app, funded.project.id, made.seq
    barrier = threading.Barrier(2, timeout=20)
    outcomes: dict[str, str] = {}

    def pay_as(username):
        with app.app_context():
            project = db.session.get(Project, project_id)
            person = db.session.scalar(sa.select(User).where(User.username == username))
            barrier.wait()
            try:
                services.record_payout(db.session, project, person, claim_seq, "cash", "",
                                       now=funded.clock())
                db.session.commit()
                outcomes[username] = "paid"
            except Conflict as problem:
                db.session.rollback()
                outcomes[username] = problem.message

    threads = [threading.Thread(target=pay_as, args=(name,)) for name in ("ada", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(outcomes) == 2, outcomes  # both answered: one paid, one refused
    assert sorted(outcomes.values(), key=len)[0] == "paid", outcomes
    assert sum(1 for said in outcomes.values() if said == "paid") == 1, outcomes
    assert any("paid already" in said for said in outcomes.values()), outcomes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Claim)
                             .where(Claim.paid_seq.is_not(None))) == 1
    assert services.project_funds(db.session, funded.project)[0].balance == Decimal("80.00")
    assert verify(funded).exit_code == 0


@pytest.mark.parametrize("sql", [
    "UPDATE ledger_funds SET paid = '1.00' WHERE project_id = :project",
    "UPDATE ledger_claims SET amount = '9.00' WHERE project_id = :project"])
def test_a_split_verify_compares_funds_and_claims_too(funded, sql):
    # Ranges of two entries force the chain into a second process: the
    # funds and claims are folded and compared on this side.
    made = claim(funded, funded.bo, 2, "10")
    pay(funded, funded.ada, made.seq)
    db.session.commit()
    assert services.verify(db.session, funded.project, batch=2, split=True).intact
    tamper(funded, sql)
    db.session.commit()
    result = services.verify(db.session, funded.project, batch=2, split=True)
    assert result.split and not result.intact
    assert "funds in EUR" in result.problem or f"claim #{made.seq}" in result.problem


def test_a_receipt_of_money_cannot_be_corrected_below_what_was_paid_out(funded):
    from commons.ledger.models import LedgerEntry
    made = claim(funded, funded.bo, 2, "10")
    pay(funded, funded.ada, made.seq)  # 90 EUR received, 10 paid out
    receipt = db.session.scalar(sa.select(LedgerEntry.seq).where(
        LedgerEntry.project_id == funded.project.id, LedgerEntry.action == "receipt",
        LedgerEntry.input_number == 1))

    def lower(by):
        return lambda: services.correct(db.session, funded.project, funded.ada, receipt,
                                        {"quantity": f"-{by}"}, "typo", now=funded.clock())

    message = refused(funded, Invalid, lower("85"))
    assert "paid out 10" in message and "more than it received" in message
    lower("80")()  # leaves 10 EUR received, 10 paid out: allowed
    db.session.commit()
    fund = db.session.get(Fund, (funded.project.id, "EUR"))
    assert (fund.received, fund.paid) == (Decimal("10"), Decimal("10"))
    assert verify(funded).exit_code == 0


def test_money_received_before_funds_were_kept_becomes_the_funds(funded):
    # What migration 0021 does for journals written before it: the rows
    # are gone, verify objects, and the backfill folds them from the journal.
    from commons.ledger.fund_backfill import backfill_funds
    made = claim(funded, funded.bo, 2, "10")
    pay(funded, funded.ada, made.seq)
    tamper(funded, "DELETE FROM ledger_funds WHERE project_id = :project")
    assert verify(funded).exit_code == 1
    db.session.commit()
    with db.engine.begin() as connection:
        assert backfill_funds(connection) == 1
    fund = db.session.get(Fund, (funded.project.id, "EUR"), populate_existing=True)
    assert (fund.received, fund.paid) == (Decimal("90"), Decimal("10"))
    assert verify(funded).exit_code == 0


def test_the_treasurer_role_ends_when_its_holder_leaves(funded):
    from commons.projects import services as projects
    name_treasurer(funded, "bo")
    membership = funded.project.membership_of(funded.bo)
    assert membership.treasurer
    projects.leave_project(db.session, funded.project, funded.bo, funded.clock())
    db.session.commit()
    assert not membership.treasurer
    projects.join_project(db.session, funded.project, funded.bo, funded.clock())
    db.session.commit()
    assert not funded.project.membership_of(funded.bo).treasurer
