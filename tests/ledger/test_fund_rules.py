"""The pure rules of funds, claims and payouts: funds never go negative
when every payout is one the rules allow, a payout is never above the
funds, a claim never above what arrived is worth, and the fold keeps each
currency apart, exactly."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.ledger import fund_rules, rules

CURRENCIES = ("EUR", "JPY", "BHD")


def amounts(currency: str):
    places = rules.currencies()[currency]
    return st.decimals(min_value=Decimal(0), max_value=Decimal("100000"), places=places,
                       allow_nan=False, allow_infinity=False)


@st.composite
def journals(draw):
    """A journal of money receipts (inputs 1-3, one per currency), claims on
    priced inputs and payout attempts, as (action, data) pairs before any
    rule has looked at them."""
    steps = []
    for _ in range(draw(st.integers(0, 40))):
        currency = draw(st.sampled_from(CURRENCIES))
        kind = draw(st.sampled_from(("receipt", "claim", "payout")))
        steps.append((kind, currency, draw(amounts(currency)), draw(st.integers(0, 50))))
    return steps


@settings(max_examples=200, deadline=None)
@given(journals())
def test_funds_never_negative_and_payouts_never_above_them(steps):
    balances = rules.Balances()
    for number, currency in enumerate(CURRENCIES, start=1):
        rules.apply(balances, number, "need", {
            "input": number, "title": currency, "kind": "money",
            "quantity": "1000000", "unit": currency, "approval": "approved"})
    received = {currency: Decimal(0) for currency in CURRENCIES}
    paid = dict(received)
    seq = len(CURRENCIES)
    for kind, currency, amount, pick in steps:
        seq += 1
        number = CURRENCIES.index(currency) + 1
        if kind == "receipt":
            rules.apply(balances, seq, "receipt", {"input": number, "quantity": str(amount)})
            received[currency] += amount
        elif kind == "claim":
            rules.apply(balances, seq, "claim", {
                "input": number, "claimant": "bo", "amount": str(amount), "currency": currency,
                "approval": "approved" if pick % 3 else "pending"})
        else:
            claims = sorted(balances.claims)
            if not claims:
                continue
            claim = balances.claims[claims[pick % len(claims)]]
            fund = balances.funds.get(claim.currency)
            available = fund.balance if fund else fund_rules.zero(claim.currency)
            refusal = fund_rules.payout_refusal(claim.seq, claim.status, claim.amount,
                                                claim.currency, available)
            # Refused exactly when paid, pending, or above the funds.
            assert (refusal is None) == (claim.status == fund_rules.APPROVED
                                         and claim.amount <= available)
            if refusal is None:
                rules.apply(balances, seq, "payout", {"input": claim.input,
                                                      "claim": claim.seq,
                                                      "amount": str(claim.amount)})
                paid[claim.currency] += claim.amount
        for fund in balances.funds.values():
            assert fund.balance >= 0
    for currency, fund in balances.funds.items():
        # Exact, per currency, never mixed.
        assert (fund.received, fund.paid) == (received[currency], paid[currency])
    assert sum(1 for c in balances.claims.values() if c.status == fund_rules.PAID) == \
        len({c.paid_seq for c in balances.claims.values() if c.paid_seq})


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_claim_is_refused_exactly_above_what_arrived_is_worth(data):
    currency = data.draw(st.sampled_from(CURRENCIES))
    received = data.draw(st.decimals(min_value=0, max_value=1000, places=3))
    unit_cost = data.draw(amounts(currency))
    claimed = data.draw(amounts(currency))
    amount = data.draw(amounts(currency))
    left = fund_rules.claimable(received, unit_cost, currency, claimed)
    assert left >= 0
    assert left == max(rules.cost(received, unit_cost, currency) - claimed, Decimal(0))
    refusal = fund_rules.claim_refusal(1, "filament", True, currency, False, currency,
                                       amount, left)
    assert (refusal is None) == (amount <= left)


def test_each_refusal_says_what_to_do():
    def refusal(**changed):
        said = {"number": 2, "title": "Filament", "approved": True, "input_currency": "EUR",
                "is_money": False, "claim_currency": "EUR", "amount": Decimal("5"),
                "still_claimable": Decimal("10.00"), **changed}
        return fund_rules.claim_refusal(**said)

    assert refusal() is None
    assert "Claim once its input proposal passes" in refusal(approved=False)
    assert "claim in EUR" in refusal(claim_currency="USD")
    assert "claim at most that" in refusal(amount=Decimal("10.01"))
    assert "Correct its unit cost" in refusal(input_currency=None)
    assert "money given" in refusal(is_money=True)
    assert "paid already" in fund_rules.payout_refusal(3, "paid", Decimal(1), "EUR", Decimal(9))
    assert "awaits" in fund_rules.payout_refusal(3, "pending", Decimal(1), "EUR", Decimal(9))
    assert "holds 0.50 EUR" in fund_rules.payout_refusal(3, "approved", Decimal(1), "EUR",
                                                          Decimal("0.50"))
    assert fund_rules.payout_refusal(3, "approved", Decimal(1), "EUR", Decimal(1)) is None


def test_a_correction_of_money_received_moves_the_funds():
    balances = rules.rebuild([
        (1, "need", {"input": 1, "title": "Grant", "kind": "money", "quantity": "300",
                     "unit": "EUR", "approval": "approved"}),
        (2, "receipt", {"input": 1, "quantity": "300.00"}),
        (3, "correct", {"input": 1, "action": "receipt", "corrects": 2,
                        "deltas": {"quantity": "-0.50"}}),
        (4, "need", {"input": 2, "title": "PLA", "kind": "material", "quantity": "2",
                     "unit": "kg", "unit_cost": "20", "currency": "EUR",
                     "approval": "approved"}),
        (5, "receipt", {"input": 2, "quantity": "2"}),  # goods: not funds
    ])
    assert list(balances.funds) == ["EUR"]
    assert balances.funds["EUR"].received == Decimal("299.50")


@pytest.mark.parametrize("amount, set_aside, refused", [
    ("20.00", "80.00", False),   # exactly what is free
    ("20.01", "80.00", True),
    ("20.00", None, False),      # a share: only the funds count
    ("100.00", None, False),
    ("0.01", "100.00", True),    # all of it owed to shares
    ("0.01", "150.00", True),    # shares owed beyond the funds: nothing is free
])
def test_an_expense_is_never_paid_out_of_what_the_shares_are_owed(amount, set_aside, refused):
    refusal = fund_rules.payout_refusal(7, fund_rules.APPROVED, Decimal(amount), "EUR",
                                        Decimal("100.00"),
                                        Decimal(set_aside) if set_aside else None)
    assert (refusal is not None) == refused, refusal
    if refused:
        assert "owed to distribution shares" in refusal and "Nothing was paid" in refusal
        assert "0.00 EUR is free" in refusal or "20.00 EUR is free" in refusal
