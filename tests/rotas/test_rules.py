"""The rota's pure rules: when turns fall, which are missed, and the fair
order (hypothesis: nobody with more hours of that kind of work goes before
someone with fewer; holders after those holding nothing; ties by who opted
in first, then user id; everyone appears), and the busiest person's share."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commons.rotas import rules
from commons.rotas.rules import Candidate, RotaRuleError

T = datetime(2026, 6, 1, tzinfo=UTC)

candidates = st.lists(
    st.builds(Candidate,
              user_id=st.integers(min_value=1, max_value=10_000),
              hours=st.decimals(min_value=0, max_value=500, places=2),
              opted_in_at=st.integers(min_value=0, max_value=30).map(
                  lambda days: T + timedelta(days=days)),
              upcoming=st.integers(min_value=0, max_value=3)),
    max_size=12, unique_by=lambda candidate: candidate.user_id)


# The machine is shared: a slow first draw is no failure of the rule.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates)
def test_the_order_is_fair(people):
    order = rules.fair_order(people)
    assert sorted(c.user_id for c in order) == sorted(c.user_id for c in people)
    for earlier, later in zip(order, order[1:], strict=False):
        # A holder never goes before someone holding fewer turns.
        assert earlier.upcoming <= later.upcoming
        if earlier.upcoming == later.upcoming:
            # Nobody with more hours goes before someone with fewer.
            assert earlier.hours <= later.hours
            if earlier.hours == later.hours:
                assert (earlier.opted_in_at, earlier.user_id) < \
                    (later.opted_in_at, later.user_id)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates)
def test_the_order_does_not_depend_on_the_rows_order(people):
    assert rules.fair_order(people) == rules.fair_order(list(reversed(people)))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(candidates, st.integers(min_value=0, max_value=12))
def test_assigned_turns_spread_evenly(people, slots):
    chosen = rules.assign(people, slots)
    assert len(chosen) == (slots if people else 0)
    assert set(chosen) <= {c.user_id for c in people}
    if people:
        # Each turn goes to someone then holding fewest: counts end up within one.
        held = {c.user_id: c.upcoming + chosen.count(c.user_id) for c in people}
        assert max(held.values()) - min(held.values()) <= max(
            1, max(c.upcoming for c in people) - min(c.upcoming for c in people))
        first = rules.fair_order(people)[0]
        assert not slots or chosen[0] == first.user_id


def test_who_did_least_goes_first_then_alternates():
    ada = Candidate(1, Decimal(10), T)
    bo = Candidate(2, Decimal(3), T + timedelta(days=1))
    cy = Candidate(3, Decimal(3), T)
    assert rules.assign([ada, bo, cy], 5) == [3, 2, 1, 3, 2]
    assert rules.assign([], 4) == []
    with pytest.raises(ValueError):
        rules.assign([ada, ada], 1)


@pytest.mark.parametrize(("today", "first"), [
    (date(2026, 5, 1), 1), (date(2026, 6, 1), 1), (date(2026, 6, 2), 2),
    (date(2026, 6, 8), 2), (date(2026, 6, 9), 3),
])
def test_first_upcoming_turn(today, first):
    assert rules.first_upcoming(date(2026, 6, 1), 7, today) == first
    assert rules.due_on(date(2026, 6, 1), 7, first) >= today
    if first > 1:
        assert rules.due_on(date(2026, 6, 1), 7, first - 1) < today


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
       st.integers(min_value=1, max_value=366),
       st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 1, 1)))
def test_first_upcoming_is_the_first_on_or_after_today(start, every, today):
    first = rules.first_upcoming(start, every, today)
    assert rules.due_on(start, every, first) >= today
    assert first == 1 or rules.due_on(start, every, first - 1) < today


def test_turn_states():
    today = date(2026, 6, 10)
    assert rules.turn_state(date(2026, 6, 9), False, today) == "missed"
    assert rules.turn_state(date(2026, 6, 10), False, today) == "upcoming"
    assert rules.turn_state(date(2026, 6, 9), True, today) == "done"


@pytest.mark.parametrize(("value", "days"), [("7", 7), (1, 1), ("weekly", 7), (" 14 ", 14)])
def test_every_days(value, days):
    assert rules.check_every_days(value) == days


@pytest.mark.parametrize("value", ["0", "367", "-3", "1.5", "", None, "fortnightly"])
def test_bad_every_days(value):
    with pytest.raises(RotaRuleError):
        rules.check_every_days(value)


def test_months_back():
    assert rules.months_back(date(2026, 2, 15), 3) == \
        [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_busiest_shares():
    months = ["2026-04", "2026-05"]
    found = rules.busiest_shares([
        ("care", 1, [Decimal(9), Decimal(1)]),
        ("care", 2, [Decimal(1), Decimal(1)]),
        ("routine", None, [Decimal(0), Decimal(2)]),
    ], months)
    assert list(found) == ["routine", "care"]
    assert [(s.top_user_id, s.top_share, s.people) for s in found["care"]] == \
        [(1, 90, 2), (1, 50, 2)]  # a tie goes to the lower id; the share is the same
    assert [s.top_share for s in found["routine"]] == [None, 100]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["care", "routine"]),
                          st.integers(min_value=1, max_value=5),
                          st.lists(st.decimals(min_value=0, max_value=50, places=2),
                                   min_size=3, max_size=3)), max_size=10))
def test_the_busiest_share_is_between_a_fair_split_and_all(rows):
    for category, series in rules.busiest_shares(rows, ["a", "b", "c"]).items():
        for share in series:
            if share.top_share is None:
                assert share.total == 0
                continue
            assert 100 // share.people <= share.top_share + 1 and share.top_share <= 100
            assert category in ("care", "routine")


def test_busiest_lines_geometry():
    from commons.contributions.chart import BUSIEST_PLOT, BUSIEST_TOP, busiest_lines

    months = ["2026-04", "2026-05", "2026-06"]
    shares = rules.busiest_shares([("care", 1, [Decimal(9), Decimal(0), Decimal(1)]),
                                   ("care", 2, [Decimal(1), Decimal(0), Decimal(1)])], months)
    drawn = busiest_lines(months, shares)
    (line,) = drawn.lines
    # A month nobody did care is no point; 100 % at the top, 50 % half way.
    assert [(point.month, point.share) for point in line.points] == \
        [("2026-04", 90), ("2026-06", 50)]
    assert line.points[1].y == BUSIEST_TOP + BUSIEST_PLOT / 2
    assert line.points[0].x < line.points[1].x
    assert [label.name for label in drawn.labels] == ["Apr", "May", "Jun"]
    assert busiest_lines(months, {}).lines == ()
