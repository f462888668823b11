"""The value rule and recognition, as pure rules (hypothesis where the
issue asks): weights of 1 give the confirmed hours, weights scale,
unconfirmed hours never count, and the version in force is the latest
adopted on or before the day."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commons.ledger.work_rules import WORK_CATEGORIES
from commons.recognition.rules import (
    DEFAULT_RULE,
    RuleError,
    ValueRule,
    WorkEntry,
    parse_rule,
    recognise,
    rule_details,
    rule_on,
    weighted_hours,
)

CATEGORIES = list(WORK_CATEGORIES)
hours = st.integers(1, 2400).map(lambda n: Decimal(n) / 100)
days = st.integers(0, 364).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
entries = st.lists(st.builds(WorkEntry, user_id=st.integers(1, 5), day=days, hours=hours,
                             category=st.sampled_from(CATEGORIES),
                             onerous=st.one_of(st.none(), st.integers(1, 3)),
                             confirmed=st.booleans()), max_size=40)
weights = st.integers(0, 10000).map(lambda n: Decimal(n) / 100)


def adopted(version: int, day: date, **weights: str) -> ValueRule:
    return parse_rule({"weights": weights}, version=version,
                      adopted_at=datetime(day.year, day.month, day.day, 18, tzinfo=UTC))


def test_the_default_weighs_every_kind_of_work_1_and_ignores_ratings():
    assert DEFAULT_RULE.version == 0 and not DEFAULT_RULE.onerous_multiplies
    assert set(DEFAULT_RULE.weights) == set(WORK_CATEGORIES)
    assert all(weight == 1 for weight in DEFAULT_RULE.weights.values())
    assert weighted_hours(Decimal(4), "care", 3, DEFAULT_RULE) == 4


def test_a_rule_parses_missing_categories_as_1():
    rule = parse_rule({"weights": {"care": "1.5", "routine": 2}, "onerous": True})
    assert rule.weights == {"routine": 2, "care": Decimal("1.5"), "creative": 1,
                            "coordination": 1}
    assert rule.onerous_multiplies
    assert weighted_hours(Decimal(4), "care", 2, rule) == 12
    assert weighted_hours(Decimal(4), "care", None, rule) == 6
    assert rule_details(rule) == {"weights": {"routine": "2", "care": "1.5", "creative": "1",
                                              "coordination": "1"}, "onerous": True}


@pytest.mark.parametrize("weight, says", [
    ("-1", "cannot be negative"), ("abc", "is a number"), ("NaN", "is a number"),
    ("Infinity", "is a number"), (float("nan"), "is a number"), ("101", "at most 100"),
    ("1.255", "at most 2 decimals"), (True, "not true or false"), ([1], "is a number"),
])
def test_bad_weights_are_refused_with_what_to_do(weight, says):
    with pytest.raises(RuleError) as raised:
        parse_rule({"weights": {"care": weight}})
    assert says in str(raised.value) and raised.value.field == "care"


@pytest.mark.parametrize("raw, says", [
    ({"weights": {"gardening": "2"}}, "gardening is not a kind of work"),
    ({"weights": {c: "0" for c in CATEGORIES}}, "At least one kind of work"),
    ({"weights": {}, "onerous": "yes"}, "onerous is true"),
    ({"weights": "care=2"}, "weights is an object"),
    ({"weight": {}}, "not weight"),
    ("care=2", "A recognition rule is"),
])
def test_bad_rules_are_refused(raw, says):
    with pytest.raises(RuleError) as raised:
        parse_rule(raw)
    assert says in str(raised.value)


@given(entries)
def test_weights_of_1_recognise_exactly_the_confirmed_hours(work):
    for person in recognise(work, []):
        mine = [entry for entry in work if entry.user_id == person.user_id]
        assert person.recognition == person.confirmed_hours == \
            sum((e.hours for e in mine if e.confirmed), Decimal(0))
        assert person.unconfirmed_hours == sum((e.hours for e in mine if not e.confirmed),
                                               Decimal(0))


@given(entries, weights)
def test_one_weight_for_all_scales_recognition(work, weight):
    rule = adopted(1, date(2025, 12, 1), **{c: str(weight) for c in CATEGORIES}) \
        if weight else None
    if rule is None:
        return  # all zero is refused
    plain = {p.user_id: p.recognition for p in recognise(work, [])}
    for person in recognise(work, [rule]):
        assert person.recognition == plain[person.user_id] * weight


@given(entries, st.sampled_from(CATEGORIES))
def test_unconfirmed_hours_never_count(work, category):
    rule = adopted(1, date(2025, 12, 1), **{category: "3"})
    before = {p.user_id: p.recognition for p in recognise(work, [rule])}
    more = [*work, *(WorkEntry(e.user_id, e.day, Decimal(24), category, 3, False)
                     for e in work)]
    after = {p.user_id: p.recognition for p in recognise(more, [rule])}
    assert after == before


@given(st.lists(days, min_size=1, max_size=6), days)
def test_rule_on_picks_the_latest_version_adopted_on_or_before_the_day(adoptions, day):
    versions = [adopted(n, d, care=str(n)) for n, d in enumerate(adoptions, start=1)]
    found = rule_on(versions, day)
    earlier = [v for v in versions if v.adopted_on is not None and v.adopted_on <= day]
    if not earlier:
        assert found is DEFAULT_RULE
    else:
        assert found.adopted_on == max(v.adopted_on for v in earlier)
        assert found.version == max(v.version for v in earlier
                                    if v.adopted_on == found.adopted_on)


def test_a_version_applies_from_its_adoption_day_forward_never_before():
    day = date(2026, 3, 10)
    care = adopted(1, day, care="1.5")
    work = [WorkEntry(1, day - timedelta(days=1), Decimal(4), "care", None, True),
            WorkEntry(1, day, Decimal(4), "care", None, True)]
    [person] = recognise(work, [care])
    assert person.recognition == Decimal(10)
    assert [line.text for line in person.lines] == \
        ["care: 4 h × 1 = 4", "care (rule v1): 4 h × 1.5 = 6"]


def test_the_arithmetic_shows_ratings_when_they_count():
    rule = parse_rule({"weights": {"care": "1.5"}, "onerous": True}, version=2,
                      adopted_at=datetime(2026, 1, 1, tzinfo=UTC))
    work = [WorkEntry(7, date(2026, 2, 1), Decimal("2.5"), "care", 2, True),
            WorkEntry(7, date(2026, 2, 2), Decimal(1), "routine", None, True),
            WorkEntry(7, date(2026, 2, 3), Decimal(5), "creative", 3, False)]
    [person] = recognise(work, [rule])
    assert [line.text for line in person.lines] == \
        ["routine (rule v2): 1 h × 1 = 1", "care (rule v2): 2.5 h × 1.5 × 2 (onerous) = 7.5"]
    assert (person.confirmed_hours, person.unconfirmed_hours, person.recognition) == \
        (Decimal("3.5"), Decimal(5), Decimal("8.5"))
