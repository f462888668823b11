from decimal import Decimal

import pytest

from commons.money import amount_problem, currencies, parse_amount


@pytest.mark.parametrize("value, expected", [
    ("12.50", Decimal("12.50")), (" 3 ", Decimal("3")), ("-4.25", Decimal("-4.25")),
    ("0", Decimal("0")), ("9" * 18, Decimal("9" * 18)),
])
def test_plain_decimal_strings_are_amounts(value, expected):
    assert parse_amount(value) == expected


@pytest.mark.parametrize("value", [
    "1e2", "1e999999999", "1E-70", "NaN", "Infinity", "abc", "", "1,50", ".5", "5.",
    "9" * 19, "1." + "0" * 19, 12.5, 3, None, ["1"],
])
def test_everything_else_is_refused(value):
    assert parse_amount(value) is None


def test_currencies_know_their_minor_units():
    table = currencies()
    assert (table["EUR"], table["JPY"], table["BHD"]) == (2, 0, 3)
    assert "XXX" not in table


@pytest.mark.parametrize("amount, currency, problem", [
    ("12.50", "EUR", None), ("12.5", "EUR", None), ("12.505", "EUR", "EUR has 2 decimal places"),
    ("100", "JPY", None), ("100.5", "JPY", "JPY has 0 decimal places"), ("1.125", "BHD", None),
    ("1", "ABC", "not an ISO 4217 currency code"),
])
def test_amounts_respect_the_currency(amount, currency, problem):
    found = amount_problem(Decimal(amount), currency)
    assert (found is None) if problem is None else (problem in found)
