"""The ledger's pure rules without a database: numbers and their
quantisation, approval, status, totals, corrections and dates. The chain is
tested in test_chain.py, the fold's properties in test_fold.py."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commons.ledger import rules
from commons.ledger.rules import RuleError

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
FAST = settings(max_examples=60, deadline=None)


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("value, expected", [
    ("12.50", Decimal("12.50")), (" 7 ", Decimal(7)), ("+5", Decimal(5)),
    ("-0.25", Decimal("-0.25")), ("0", Decimal(0)), (12, Decimal(12)), (-3, Decimal(-3)),
    (Decimal("1.5"), Decimal("1.5")), ("9" * 18 + "." + "9" * 18, Decimal("9" * 18 + "." + "9" * 18)),
])
def test_decimal_strings_and_integers_are_numbers(value, expected):
    parsed = rules.parse_number(value)
    assert parsed == expected and isinstance(parsed, Decimal)
    assert str(parsed) == str(expected)  # the digits as written, not rounded


@pytest.mark.parametrize("value, message", [
    (1.5, "never a JSON float"), (0.1, "never a JSON float"), (2.0, "never a JSON float"),
    (float("nan"), "never a JSON float"), (float("inf"), "never a JSON float"),
    (float("-inf"), "never a JSON float"),
    (True, "written as a string"), (False, "written as a string"),
    ("NaN", "plain decimal"), ("nan", "plain decimal"), ("Infinity", "plain decimal"),
    ("-Infinity", "plain decimal"), ("inf", "plain decimal"),
    ("1e3", "no exponent"), ("1E-2", "no exponent"), ("2.5e0", "no exponent"),
    ("1,000", "no thousands separator"), ("1 000", "plain decimal"), ("", "plain decimal"),
    (".5", "plain decimal"), ("5.", "plain decimal"), ("--5", "plain decimal"),
    ("0x10", "plain decimal"), ("1" * 19, "plain decimal"), ("1." + "1" * 19, "plain decimal"),
    (None, "plain decimal"), ([1], "plain decimal"), ({"amount": "1"}, "plain decimal"),
    (10 ** 18, "too large"), (-(10 ** 18), "too large"),
    (Decimal("NaN"), "finite"), (Decimal("sNaN"), "finite"), (Decimal("-Infinity"), "finite"),
])
def test_floats_nan_infinity_bools_exponents_and_other_shapes_are_refused(value, message):
    with pytest.raises(RuleError, match=message) as refused:
        rules.parse_number(value, "hours", "hours")
    assert refused.value.field == "hours"
    assert str(refused.value).startswith("hours")


def test_the_field_defaults_to_the_label():
    with pytest.raises(RuleError) as refused:
        rules.parse_number(1.5, "quantity")
    assert refused.value.field == "quantity"


@pytest.mark.parametrize("unit, value, expected", [
    ("piece", "3", "3"), ("piece", "3.0", "3"), ("kg", "1.234", "1.234"), ("kg", "2", "2.000"),
    ("kg", 2, "2.000"), ("l", "0.001", "0.001"), ("hour", "1.25", "1.25"), ("kWh", "7.5", "7.500"),
    ("JPY", "5000", "5000"), ("EUR", "1.5", "1.50"), ("EUR", "2.500", "2.50"),
    ("BHD", "12.345", "12.345"), ("BHD", "1", "1.000"),
])
def test_a_quantity_carries_exactly_its_units_decimals(unit, value, expected):
    amount = rules.quantity(value, unit)
    assert rules.text(amount) == expected


@pytest.mark.parametrize("unit, value, places", [
    ("piece", "1.5", 0), ("kg", "1.2345", 3), ("hour", "1.255", 2), ("JPY", "100.5", 0),
    ("EUR", "1.234", 2), ("EUR", "0.001", 2), ("BHD", "1.2345", 3),
])
def test_too_many_decimals_for_the_unit_are_refused_not_rounded(unit, value, places):
    with pytest.raises(RuleError, match=f"at most {places} decimal place") as refused:
        rules.quantity(value, unit)
    assert refused.value.field == "quantity"
    assert f"“{value}” has more" in str(refused.value)


def test_units_come_from_the_fixed_list_or_are_currency_codes():
    for unit in ("furlong", "eur", "EURO", "", "XXX", "Kg"):
        with pytest.raises(RuleError, match="is not a unit") as refused:
            rules.quantity("1", unit)
        assert refused.value.field == "unit"
    assert (rules.decimals_of("JPY"), rules.decimals_of("EUR"), rules.decimals_of("BHD")) == \
        (0, 2, 3)


def test_quantities_are_positive_and_signed_deltas_are_not_zero():
    for value in ("0", "-1", "-0.001", 0, -5):
        with pytest.raises(RuleError, match="more than zero"):
            rules.quantity(value, "kg")
    assert rules.quantity("-1.5", "kg", "quantity delta", signed=True) == Decimal("-1.500")
    assert rules.quantity("+2", "hour", "hours delta", signed=True,
                          field_name="hours") == Decimal("2.00")
    for value in ("0", "-0", "0.000", 0):
        with pytest.raises(RuleError, match="of zero changes nothing"):
            rules.quantity(value, "kg", "quantity delta", signed=True)
    with pytest.raises(RuleError, match="at most 2 decimal places") as refused:
        rules.quantity("-0.125", "EUR", "quantity delta", signed=True)
    assert refused.value.field == "quantity"


@pytest.mark.parametrize("currency, value, expected", [
    ("EUR", "24.50", "24.50"), ("EUR", "24.5", "24.50"), ("EUR", 3, "3.00"), ("EUR", "0", "0.00"),
    ("JPY", "1500", "1500"), ("BHD", "0.125", "0.125"), ("USD", "19.99", "19.99"),
])
def test_money_is_quantised_to_the_currencys_minor_units(currency, value, expected):
    assert rules.text(rules.money(value, currency)) == expected


@pytest.mark.parametrize("currency, value, field, message", [
    ("EUR", "24.505", "unit_cost", "EUR has at most 2 decimal places; “24.505” has more"),
    ("JPY", "100.5", "unit_cost", "JPY has at most 0 decimal places"),
    ("BHD", "0.1255", "unit_cost", "BHD has at most 3 decimal places"),
    ("EUR", "-1", "unit_cost", "cannot be negative"),
    ("EUR", 2.5, "unit_cost", "never a JSON float"),
    ("EUR", "NaN", "unit_cost", "plain decimal"),
    ("EURO", "1", "currency", "not an ISO 4217 currency code"),
    ("eur", "1", "currency", "not an ISO 4217 currency code"),
    ("XTS", "1", "currency", "not an ISO 4217 currency code"),
])
def test_bad_money_is_refused_with_the_field_to_fix(currency, value, field, message):
    with pytest.raises(RuleError, match=message) as refused:
        rules.money(value, currency)
    assert refused.value.field == field


def test_cost_rounds_half_even_to_the_currency():
    assert rules.cost(Decimal("20.000"), Decimal("24.50"), "EUR") == Decimal("490.00")
    assert rules.cost(Decimal("0.005"), Decimal("1.00"), "EUR") == Decimal("0.00")
    assert rules.cost(Decimal("0.015"), Decimal("1.00"), "EUR") == Decimal("0.02")
    assert rules.cost(Decimal("2.5"), Decimal("1"), "JPY") == Decimal("2")
    assert rules.cost(Decimal("3.5"), Decimal("1"), "JPY") == Decimal("4")
    assert str(rules.cost(Decimal("1.000"), Decimal("0.125"), "BHD")) == "0.125"


def test_amounts_stay_under_a_trillion_so_costs_and_totals_stay_exact():
    for value in ("1000000000000", "-1000000000000", 10 ** 12):
        with pytest.raises(RuleError, match="too large") as refused:
            rules.quantity(value, "kg", signed=True)
        assert refused.value.field == "quantity"
    with pytest.raises(RuleError, match="too large") as refused:
        rules.money("1000000000000", "EUR")
    assert refused.value.field == "unit_cost"
    most = rules.quantity("999999999998.501", "kg")
    price = rules.money("999999999999.99", "EUR")
    # Exactly 999999999998491000000000.01499: 29 significant digits, so the
    # default 28-digit context would round to ….0150 first and then to
    # ….02, a cent too many.
    exact = Decimal("999999999998491000000000.01")
    assert rules.cost(most, price, "EUR") == exact
    assert rules.estimated_total(most, "kg", price, "EUR") == (exact, "EUR")
    waiting = rules.InputBalance(1, 1, "x", "material", "kg", most, price, "EUR", None, "",
                                 True, received=Decimal("0.000"))
    arrived = rules.InputBalance(2, 2, "x", "material", "kg", most, price, "EUR", None, "",
                                 True, received=most)
    sums = rules.totals([waiting, arrived] * 3)["EUR"]
    assert sums.estimated == sums.received == 3 * exact


def test_text_is_plain_and_exact():
    assert rules.text(Decimal("1E+2")) == "100"
    assert rules.text(Decimal("0.000")) == "0.000"
    assert rules.text(Decimal("-0.50")) == "-0.50"


@given(st.data())
@FAST
def test_few_enough_decimals_survive_exactly(data):
    unit = data.draw(st.sampled_from(["piece", "kg", "hour", "kWh", "JPY", "EUR", "BHD"]))
    places = rules.decimals_of(unit)
    written = data.draw(st.integers(0, places))
    amount = Decimal(data.draw(st.integers(1, 10 ** 12 - 1))).scaleb(-written)
    sign = data.draw(st.sampled_from(["", "+"]))
    parsed = rules.quantity(sign + rules.text(amount), unit)
    assert parsed == amount
    assert parsed.as_tuple().exponent == -places
    # Through the text form entries and the database keep, unchanged.
    assert rules.quantity(rules.text(parsed), unit) == parsed
    assert rules.text(Decimal(rules.text(parsed))) == rules.text(parsed)
    delta = rules.quantity("-" + rules.text(amount), unit, signed=True)
    assert delta == -amount
    if unit in rules.currencies():
        assert rules.money(rules.text(amount), unit) == amount


@given(st.data())
@FAST
def test_more_decimals_are_refused(data):
    unit = data.draw(st.sampled_from(["piece", "kg", "hour", "JPY", "EUR", "BHD"]))
    places = rules.decimals_of(unit)
    extra = data.draw(st.integers(1, 4))
    digits = data.draw(st.integers(1, 10 ** 12).filter(lambda n: n % 10))
    amount = Decimal(digits).scaleb(-(places + extra))
    with pytest.raises(RuleError, match=f"at most {places} decimal place"):
        rules.quantity(rules.text(amount), unit)
    with pytest.raises(RuleError, match=f"at most {places} decimal place"):
        rules.quantity("-" + rules.text(amount), unit, signed=True)
    if unit in rules.currencies():
        with pytest.raises(RuleError, match=f"at most {places} decimal place"):
            rules.money(rules.text(amount), unit)


# ---------------------------------------------------------------- needs board, approval

def test_resource_key_folds_case_spacing_and_punctuation():
    same = {rules.resource_key("material", title) for title in
            ("PLA filament", "pla  Filament!", "  PLA_filament ", "Pla-Filament.")}
    assert same == {"material:pla filament"}
    assert rules.resource_key("material", "Straße") == rules.resource_key("material", "STRASSE")
    assert rules.resource_key("material", "Räder") == "material:räder"
    assert rules.resource_key("equipment", "PLA filament") != "material:pla filament"
    assert len(rules.resource_key("material", "x" * 500)) == 200


@pytest.mark.parametrize("total, expected", [
    (None, False),  # no estimate: nothing to compare
    ((Decimal("100.00"), "EUR"), False),  # at the threshold
    ((Decimal("100.01"), "EUR"), True),
    ((Decimal("0.01"), "USD"), True),  # no exchange rate is assumed
    ((Decimal("0"), "EUR"), False),
])
def test_needs_proposal(total, expected):
    assert rules.needs_proposal(total, Decimal("100"), "EUR") is expected


def test_estimated_total():
    assert rules.estimated_total(Decimal("20.000"), "kg", Decimal("24.50"), "EUR") == \
        (Decimal("490.00"), "EUR")
    assert rules.estimated_total(Decimal("12.345"), "BHD", None, None) == (Decimal("12.345"), "BHD")
    assert rules.estimated_total(Decimal("20.000"), "kg", None, None) is None


@pytest.mark.parametrize("closed, approved, needed, received, pledged, status", [
    (True, True, 10, 10, 0, "closed"), (True, False, 10, 0, 0, "closed"),
    (False, False, 10, 10, 0, "pending"), (False, True, 10, 10, 0, "fulfilled"),
    (False, True, 10, 12, 0, "fulfilled"), (False, True, 10, 4, 6, "covered"),
    (False, True, 10, 4, 5, "approved"), (False, True, 10, 0, 0, "approved"),
])
def test_status_of(closed, approved, needed, received, pledged, status):
    assert rules.status_of(closed, approved, Decimal(needed), Decimal(received),
                           Decimal(pledged)) == status


def test_totals_never_mix_currencies():
    def need(unit, needed, unit_cost=None, currency=None, received="0", pledged="0",
             closed=False):
        balance = rules.InputBalance(1, 1, "x", "material", unit, Decimal(needed),
                                     Decimal(unit_cost) if unit_cost else None, currency, None,
                                     "", True, closed, received=Decimal(received))
        if Decimal(pledged):
            balance.pledges[2] = rules.PledgeBalance(2, 1, "bo", Decimal(pledged))
        return balance

    sums = rules.totals([
        need("kg", "20", "2.50", "EUR", received="4", pledged="6"),
        need("EUR", "300", received="50"),  # money needed in a currency costs itself
        need("hour", "10", "30", "USD", pledged="2"),
        need("JPY", "5000", received="1000"),
        need("piece", "3"),  # no estimate: in no total
        need("kg", "8", "1.00", "EUR", received="8", closed=True),  # closed: received only
    ])
    assert list(sums) == ["EUR", "JPY", "USD"]
    # What is still needed: 10 kg (25.00) and 250 EUR; 8 hours; 4000 JPY.
    assert sums["EUR"] == rules.Totals(estimated=Decimal("275.00"), pledged=Decimal("15.00"),
                                       received=Decimal("68.00"))
    assert sums["USD"] == rules.Totals(Decimal("240.00"), Decimal("60.00"), Decimal("0.00"))
    assert sums["JPY"] == rules.Totals(Decimal("4000"), Decimal("0"), Decimal("1000"))
    assert str(sums["JPY"].estimated) == "4000" and str(sums["EUR"].received) == "68.00"
    assert rules.totals([]) == {}


# ---------------------------------------------------------------- corrections, dates

def test_check_correction_takes_signed_deltas_of_what_the_entry_moved():
    assert rules.check_correction("receipt", {"quantity": "-0.5"}, "kg", None) == \
        {"quantity": Decimal("-0.500")}
    assert rules.check_correction("need", {"quantity": "2", "unit_cost": "-0.50"}, "kg",
                                  "EUR") == {"quantity": Decimal("2.000"),
                                             "unit_cost": Decimal("-0.50")}
    assert rules.check_correction("work", {"hours": "-1.5"}, "hour", None) == \
        {"hours": Decimal("-1.50")}
    for action, deltas, field, message in [
        ("close", {"quantity": "1"}, "corrects", "no amounts to correct"),
        ("correct", {"quantity": "1"}, "corrects", "no amounts to correct"),
        ("pledge", {"hours": "1"}, "hours", "changes quantity, not hours"),
        ("receipt", {}, "quantity", "Give the signed change"),
        ("receipt", {"quantity": ""}, "quantity", "Give the signed change"),
        ("receipt", {"quantity": "0"}, "quantity", "of zero changes nothing"),
        ("receipt", {"quantity": 0.5}, "quantity", "never a JSON float"),
        ("receipt", {"quantity": "0.0001"}, "quantity", "at most 3 decimal places"),
        ("need", {"unit_cost": "1"}, "unit_cost", "no cost estimate"),
    ]:
        with pytest.raises(RuleError, match=message) as refused:
            rules.check_correction(action, deltas, "kg", None)
        assert refused.value.field == field
    for deltas, message in [({"unit_cost": "0.001"}, "EUR has at most 2"),
                            ({"unit_cost": "0"}, "zero changes nothing")]:
        with pytest.raises(RuleError, match=message):
            rules.check_correction("need", deltas, "kg", "EUR")


def test_dates_are_iso_and_not_in_the_future_when_they_happened():
    today = T0.date()
    assert rules.check_date("2026-02-28", "Received on", "date", today=today,
                            not_after_today=True) == "2026-02-28"
    assert rules.check_date("", "Needed by", "needed_by") is None
    with pytest.raises(RuleError, match="YYYY-MM-DD"):
        rules.check_date("1/3/2026", "Needed by", "needed_by")
    with pytest.raises(RuleError, match="in the future") as refused:
        rules.check_date("2026-03-02", "Date", "date", today=today, not_after_today=True)
    assert refused.value.field == "date"


@pytest.mark.parametrize("digits", ["١٢", "１２.５", "12.٥"])
def test_only_ascii_digits_are_numbers(digits):
    with pytest.raises(rules.RuleError, match="plain decimal"):
        rules.quantity(digits, "kg")


def test_a_work_date_lies_between_joining_and_today_and_at_most_so_many_days_back():
    today, joined = date(2026, 11, 26), date(2026, 6, 1)

    def check(value, max_days_back=60):
        return rules.check_work_date(value, today=today, joined=joined,
                                     max_days_back=max_days_back)

    assert check("") == "2026-11-26" and check(None) == "2026-11-26"
    assert check("2026-11-26") == "2026-11-26"
    assert check("2026-09-27") == "2026-09-27"  # 60 days back, the last day allowed
    with pytest.raises(RuleError, match="in the future") as refused:
        check("2026-11-27")
    assert refused.value.field == "date"
    with pytest.raises(RuleError, match="Hours older than 60 days are recorded as a "
                                        "correction") as refused:
        check("2026-09-26")
    assert refused.value.field == "date"
    # Year 1 is an empty day: without a bound it beats the 24 hours a day cap.
    with pytest.raises(RuleError, match="more than 60 days ago"):
        rules.check_work_date("0001-01-01", today=today, joined=None, max_days_back=60)
    with pytest.raises(RuleError, match="before you joined the project on 2026-06-01"):
        check("2026-05-31", max_days_back=365)
    assert check("2026-06-01", max_days_back=365) == "2026-06-01"
    with pytest.raises(RuleError, match="before you joined"):
        check("0001-01-01", max_days_back=10**6)
    assert rules.check_work_date("2026-11-26", today=today, joined=today,
                                 max_days_back=0) == "2026-11-26"
