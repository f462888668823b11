"""Amounts of money and quantities: exact decimals written as plain strings,
and currencies with their ISO 4217 minor units. Pure rules; Babel (CLDR)
supplies the currency table."""

import re
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

# Plain decimal notation only: an exponent such as "1e999999999" is eleven
# characters that expand to a billion digits.
AMOUNT_PATTERN = re.compile(r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,18})?")
MAX_DIGITS = 36

# Codes that name no money: "no currency" and "for testing".
_NOT_MONEY = {"XXX", "XTS"}


def parse_amount(value: object) -> Decimal | None:
    """A Decimal from a string such as "12.50", else None. Floats and other
    types are refused too: money never travels as a float."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not AMOUNT_PATTERN.fullmatch(text):
        return None
    return Decimal(text)


@cache
def currencies() -> dict[str, int]:
    """ISO 4217 code -> number of minor-unit digits (EUR 2, JPY 0, BHD 3)."""
    return {code: get_currency_precision(code) for code in list_currencies()
            if code not in _NOT_MONEY}


def amount_problem(amount: Decimal, currency: str) -> str | None:
    """Why *amount* is not a valid sum of *currency*, or None."""
    digits = currencies().get(currency)
    if digits is None:
        return f"“{currency}” is not an ISO 4217 currency code (e.g. EUR, USD, JPY)."
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int), "callers pass finite amounts"  # NaN's is a letter
    if exponent < -digits:
        return (f"{currency} has {digits} decimal place{'s' if digits != 1 else ''}; "
                f"write the amount with at most that many.")
    return None
