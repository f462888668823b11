"""The distribution rule: the shares add up to the amount exactly, each is
within one minor unit of its exact proportional part, none is negative,
their sum never exceeds the amount, and the left-over units go by the
stated rule (largest remainder, ties to the lowest id)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commons.recognition.distribution_rules import (
    DistributionRefused,
    amount_refusal,
    available,
    shares,
)

recognitions = st.decimals(min_value=Decimal(0), max_value=Decimal("10000"), places=3,
                           allow_nan=False, allow_infinity=False)
# At least one person with recognition (id 0), by construction: a filter
# would make generation slow on a busy machine.
weights_st = st.builds(
    lambda first, others: {0: first, **others},
    recognitions.filter(lambda value: value > 0) | st.just(Decimal("0.001")),
    st.dictionaries(st.integers(1, 10_000), recognitions, max_size=40))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(weights=weights_st, units=st.integers(0, 10**9), digits=st.sampled_from((0, 2, 3)))
def test_shares_sum_exactly_are_proportional_and_never_negative(weights, units, digits):
    amount = Decimal(units).scaleb(-digits)
    parts = shares(amount, weights, digits)
    assert sum(parts.values(), Decimal(0)) == amount
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    one_unit = Fraction(1, 10**digits)
    for person, part in parts.items():
        assert part >= 0
        assert part.as_tuple().exponent == -digits
        exact = Fraction(amount) * Fraction(weights[person]) / total
        assert abs(Fraction(part) - exact) < one_unit
    assert set(parts) == {person for person, w in weights.items() if w > 0}


def test_left_over_units_go_to_the_largest_remainders_then_the_lowest_id():
    # 1.00 among three equal weights: 33 each, one cent left, to the lowest id.
    assert shares(Decimal("1.00"), {7: Decimal(1), 3: Decimal(1), 5: Decimal(1)}, 2) == {
        3: Decimal("0.34"), 5: Decimal("0.33"), 7: Decimal("0.33")}
    # 300 EUR at 1 : 1.5 : 0 -> 120 and 180, nothing for the third.
    assert shares(Decimal("300.00"), {1: Decimal("10"), 2: Decimal("15"), 3: Decimal(0)},
                  2) == {1: Decimal("120.00"), 2: Decimal("180.00")}
    # 10 JPY at 1 : 2: 3.33 and 6.67 -> the larger fraction (2's) takes the yen left.
    assert shares(Decimal("10"), {1: Decimal(1), 2: Decimal(2)}, 0) == {
        1: Decimal("3"), 2: Decimal("7")}


def test_nobody_with_recognition_and_bad_amounts_are_refused():
    with pytest.raises(DistributionRefused, match="Nobody has recognition"):
        shares(Decimal("10.00"), {1: Decimal(0)}, 2)
    with pytest.raises(DistributionRefused, match="Nobody has recognition"):
        shares(Decimal("10.00"), {}, 2)
    with pytest.raises(DistributionRefused, match="minor units"):
        shares(Decimal("10.001"), {1: Decimal(1)}, 2)
    with pytest.raises(DistributionRefused, match="negative"):
        shares(Decimal("10.00"), {1: Decimal(-1), 2: Decimal(3)}, 2)


@settings(deadline=None)
@given(balance=st.integers(0, 10**6), owed=st.integers(0, 10**6),
       reserved=st.integers(0, 10**6), amount=st.integers(1, 3 * 10**6))
def test_an_amount_above_what_is_available_is_refused(balance, owed, reserved, amount):
    free = available(Decimal(balance), Decimal(owed), Decimal(reserved))
    refusal = amount_refusal(Decimal(amount), "EUR", free)
    assert (refusal is None) == (amount <= balance - owed - reserved)
    if refusal is not None:
        assert "available to share" in refusal


def test_nothing_or_less_is_refused():
    assert "more than zero" in amount_refusal(Decimal(0), "EUR", Decimal(5))
