"""The pure rules of a planning round, with hypothesis: an allocation never
exceeds what is available, never gives a project more than it asked, the
cut sums exactly with remainders assigned by the stated rule, revisions
never rise."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from commons.pools import rules

DECIMALS = st.integers(min_value=0, max_value=3)


@st.composite
def rounds(draw):
    """(requests by project id, available, decimals) in one unit's steps."""
    decimals = draw(DECIMALS)
    step = Decimal(1).scaleb(-decimals)
    asked = draw(st.dictionaries(st.integers(min_value=1, max_value=10_000),
                                 st.integers(min_value=1, max_value=10**9),
                                 min_size=1, max_size=20))
    available = draw(st.integers(min_value=0, max_value=10**10)) * step
    return {project: steps * step for project, steps in asked.items()}, available, decimals


@given(rounds())
def test_the_cut_never_exceeds_what_is_available_nor_what_was_asked(case):
    requests, available, decimals = case
    parts = rules.proportional_cut(requests, available, decimals)
    assert set(parts) == set(requests)
    assert sum(parts.values()) <= available
    for project, part in parts.items():
        assert Decimal(0) <= part <= requests[project]
        assert part == part.quantize(Decimal(1).scaleb(-decimals))  # in the unit's steps


@given(rounds())
def test_the_cut_hands_out_exactly_what_is_available_or_everything_asked(case):
    requests, available, decimals = case
    parts = rules.proportional_cut(requests, available, decimals)
    assert sum(parts.values()) == min(available, sum(requests.values()))


@given(rounds())
def test_each_part_is_within_one_step_of_its_exact_share(case):
    requests, available, decimals = case
    total = sum(requests.values())
    if total <= available:
        return
    step = Decimal(1).scaleb(-decimals)
    parts = rules.proportional_cut(requests, available, decimals)
    for project, part in parts.items():
        exact_share_times_total = requests[project] * available
        # part <= exact share < part + step, or part is the floor plus the one extra step
        assert (part - step) * total <= exact_share_times_total <= (part + step) * total


def test_remainders_go_to_the_largest_remainder_then_the_lowest_project_id():
    # 10 hours among three equal requests: 3.33 each, one hundredth left over,
    # which goes to the lowest id as all remainders tie.
    parts = rules.proportional_cut({7: Decimal(5), 3: Decimal(5), 9: Decimal(5)},
                                   Decimal(10), 2)
    assert parts == {3: Decimal("3.34"), 7: Decimal("3.33"), 9: Decimal("3.33")}
    # Whole pieces: 2 among requests of 1 and 2 and 3 (exact 1/3, 2/3, 1): the
    # largest remainder (2/3) gets the piece left after the floors 0, 0, 1.
    assert rules.proportional_cut({1: Decimal(1), 2: Decimal(2), 3: Decimal(3)},
                                  Decimal(2), 0) == {1: 0, 2: 1, 3: 1}


def test_the_issues_example_publishes_an_excess_demand_of_one_and_a_half():
    requests = {1: Decimal(60), 2: Decimal(50), 3: Decimal(40)}
    assert rules.excess_demand(sum(requests.values()), Decimal(100)) == Decimal("1.5")
    assert rules.indicative_shares("proportional", requests, Decimal(100), 2) == {
        1: Decimal(40), 2: Decimal("33.33"), 3: Decimal("26.67")}
    assert rules.demand_fits(Decimal(100), Decimal(100))
    assert not rules.demand_fits(Decimal("100.01"), Decimal(100))


def test_nothing_available_has_no_ratio_and_gives_nothing():
    assert rules.excess_demand(Decimal(5), Decimal(0)) is None
    assert rules.proportional_cut({1: Decimal(5)}, Decimal(0), 2) == {1: Decimal(0)}


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6),
       st.integers(min_value=2, max_value=10))
def test_a_revision_never_rises_above_the_previous_iteration(previous, asked, iteration):
    refusal = rules.revision_refusal(Decimal(previous), Decimal(asked), iteration, "hour")
    assert (refusal is None) == (asked <= previous)


def test_the_first_iteration_takes_any_request_and_later_ones_no_newcomer():
    assert rules.revision_refusal(None, Decimal(60), 1, "hour") is None
    refusal = rules.revision_refusal(None, Decimal(1), 2, "hour")
    assert refusal is not None and "first iteration" in refusal
    refusal = rules.revision_refusal(Decimal(50), Decimal("50.5"), 2, "hour")
    assert refusal is not None and "(50 hour)" in refusal


@given(st.integers(min_value=0, max_value=10**6),
       st.lists(st.integers(min_value=0, max_value=10**5), max_size=6))
def test_a_split_fills_inputs_in_order_up_to_what_each_still_needs(amount, needs):
    named = [(number, Decimal(needed)) for number, needed in enumerate(needs, start=1)]
    parts, left = rules.split_across_inputs(Decimal(amount), named)
    assert sum(part for _, part in parts) + left == amount
    assert left == max(Decimal(0), amount - sum(Decimal(n) for n in needs))
    still = dict(named)
    assert all(Decimal(0) < part <= still[number] for number, part in parts)
    # in order: every input before the last one filled is filled in full
    for number, part in parts[:-1]:
        assert part == still[number]


def test_a_changed_availability_is_said_in_the_note():
    assert rules.availability_note(Decimal(120), Decimal(100), "hour") == (
        "Availability lowered from 120 to 100 hour by the steward; this iteration uses the "
        "new figure.")
    assert rules.availability_note(Decimal(100), Decimal("100.00"), "hour") == ""
