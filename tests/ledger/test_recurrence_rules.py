"""The month arithmetic of recurring needs (issue 20), with hypothesis:
what a supply covers, the month a need is open in, and how far ahead (or
behind) it is, all from the passed-in day."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from commons.ledger import recurrence_rules as months

MONTHS = st.builds(date, st.integers(1990, 2200), st.integers(1, 12), st.just(1))
# Beyond MAX_MONTHS a supply counts as MAX_MONTHS: any day well before 9999 stays a date.
DAYS = st.dates(date(1990, 1, 1), date(2200, 12, 31))
PER_MONTH = st.decimals(Decimal("0.01"), Decimal("100000"), places=2)
SUPPLIED = st.decimals(Decimal("0"), Decimal("10000000"), places=2)


@given(MONTHS, st.integers(-3000, 3000))
def test_adding_months_is_undone_by_counting_them(month, count):
    later = months.add_months(month, count)
    assert later.day == 1
    assert months.months_between(month, later) == count
    assert months.add_months(later, -count) == month


@given(DAYS)
def test_a_day_is_in_its_month(day):
    month = months.month_of(day)
    assert (month.year, month.month, month.day) == (day.year, day.month, 1)
    assert months.parse_month(months.month_text(month)) == month
    assert months.parse_month(day.isoformat()) == month


@given(PER_MONTH, SUPPLIED)
def test_the_months_covered_are_the_whole_months_supplied(per_month, supplied):
    covered = months.months_covered(per_month, supplied)
    assert 0 <= covered <= months.MAX_MONTHS
    assert per_month * covered <= supplied
    if covered < months.MAX_MONTHS:
        assert supplied < per_month * (covered + 1)


@given(MONTHS, PER_MONTH, SUPPLIED)
def test_covered_through_is_the_month_before_the_one_it_is_open_in(start, per_month,
                                                                     supplied):
    first_open = months.open_month(start, per_month, supplied)
    through = months.covered_through(start, per_month, supplied)
    assert first_open >= start
    assert first_open <= months.add_months(start, months.MAX_MONTHS)
    if through is None:
        assert first_open == start and supplied < per_month
    else:
        assert months.add_months(through, 1) == first_open


@given(MONTHS, PER_MONTH, SUPPLIED, DAYS, st.booleans())
def test_open_exactly_when_something_is_still_needed_through_the_month_due(
        start, per_month, supplied, today, closed):
    """Open in a month means: not closed, and what the months through the
    one being supplied (today's, or the start month ahead of it) need is
    more than what was supplied. The stored first open month and the
    figures agree."""
    first_open = months.open_month(start, per_month, supplied)
    still = months.still_needed_in(start, per_month, supplied, today)
    assume(months.months_covered(per_month, supplied) < months.MAX_MONTHS)
    assert months.is_open_in(closed, start, first_open, today) == (not closed and still > 0)
    due = months.due_month(start, today)
    assert due >= start and due >= months.month_of(today)
    assert still == max(months.needed_through(start, per_month, due) - supplied, 0)


@given(MONTHS, PER_MONTH, SUPPLIED, DAYS)
def test_months_ahead_counts_from_this_month_to_the_last_covered(start, per_month, supplied,
                                                                  today):
    ahead = months.months_ahead(start, per_month, supplied, today)
    first_open = months.open_month(start, per_month, supplied)
    assert months.add_months(months.month_of(today), ahead + 1) == first_open
    # Not behind exactly when this month (or the months to come) is covered.
    covered_now = months.month_of(today) < first_open
    assert (ahead >= 0) == covered_now


@given(MONTHS, PER_MONTH, st.integers(0, 1200))
def test_a_supply_of_whole_months_covers_that_many(start, per_month, count):
    supplied = per_month * count
    assert months.months_covered(per_month, supplied) == count
    assert months.open_month(start, per_month, supplied) == months.add_months(start, count)


def test_what_pages_say():
    start, rent = date(2026, 11, 1), Decimal("500")
    today = date(2026, 12, 15)
    assert months.coverage_words(start, rent, Decimal("2500"), today) == \
        "covered through March 2027 (3 months ahead)"
    assert months.coverage_words(start, rent, Decimal("1000"), today) == \
        "covered through December 2026 (this month)"
    assert months.coverage_words(start, rent, Decimal("1499"), today) == \
        "covered through December 2026 (this month)"
    assert months.coverage_words(start, rent, Decimal("1500"), today) == \
        "covered through January 2027 (1 month ahead)"
    assert months.coverage_words(start, rent, Decimal("500"), date(2027, 2, 1)) == \
        "covered through November 2026 (3 months behind)"
    assert months.coverage_words(start, rent, Decimal("499"), today) == \
        "not covered yet: November 2026 is its first month"


@pytest.mark.parametrize("typed", ["2027-13", "27-01", "January", "", "2027/01"])
def test_a_month_that_is_not_one_says_how_to_write_it(typed):
    with pytest.raises(months.MonthError, match="YYYY-MM"):
        months.parse_month(typed)
