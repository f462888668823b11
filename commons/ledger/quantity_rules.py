"""What a person types into the ledger, made exact: decimal numbers,
units and their decimals, money in a currency's minor units, dates. Pure
rules over plain values; no Flask, no database."""

import re
from datetime import date
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from commons.money import currencies

# Physical units and how many decimals a quantity of each may carry.
UNITS: dict[str, int] = {
    "piece": 0, "g": 3, "kg": 3, "t": 3, "m": 3, "m2": 3, "m3": 3, "l": 3,
    "kWh": 3, "hour": 2, "day": 2, "month": 2,
}

# A quantity or unit cost stays below a trillion, so a need's cost and a
# project's totals stay exact in EXACT's 60 digits.
MAX_AMOUNT = Decimal(10) ** 12
EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,18})?")


class RuleError(ValueError):
    """An input the ledger refuses; ``field`` names the part to fix."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- numbers

def parse_number(value: object, label: str = "quantity", field_name: str | None = None) -> Decimal:
    """A Decimal from a decimal string ("12.50") or an integer. Floats are
    refused, NaN and Infinity among them: a float has already lost digits."""
    field_name = field_name or label
    if isinstance(value, bool):
        raise RuleError(f"{label} is a number written as a string, such as \"12.50\".",
                        field_name)
    if isinstance(value, float):
        raise RuleError(f"{label} must be a string or an integer, such as \"12.50\" or 12, "
                        "never a JSON float: floats round.", field_name)
    if isinstance(value, int):
        if abs(value) >= 10 ** 18:
            raise RuleError(f"{label} is too large.", field_name)
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RuleError(f"{label} must be a finite number.", field_name)
        return value
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value.strip()):
        return Decimal(value.strip())
    raise RuleError(f"{label} is a plain decimal number such as \"12.50\" "
                    "(no exponent, no thousands separator).", field_name)


def decimals_of(unit: str) -> int:
    """How many decimals a quantity in *unit* carries: a currency's minor
    units (JPY 0, EUR 2, BHD 3) or the physical unit's own."""
    if unit in UNITS:
        return UNITS[unit]
    digits = currencies().get(unit)
    if digits is None:
        raise RuleError(f"“{unit}” is not a unit. Use one of {', '.join(UNITS)}, "
                        "or a currency code (EUR, USD, ...) for money.", "unit")
    return digits


def quantise(amount: Decimal, decimals: int) -> Decimal:
    """*amount* with exactly *decimals* places; refuses to round away digits."""
    exact = amount.quantize(Decimal(1).scaleb(-decimals))
    if exact != amount:
        raise RuleError(f"at most {decimals} decimal place{'s' if decimals != 1 else ''}")
    return exact


def quantity(value: object, unit: str, label: str = "quantity", *, signed: bool = False,
             field_name: str = "quantity") -> Decimal:
    """A quantity in *unit*: positive (or, for a correction's delta, any
    sign but zero) with no more decimals than the unit carries."""
    amount = parse_number(value, label, field_name)
    try:
        amount = quantise(amount, decimals_of(unit))
    except RuleError as error:
        if error.field == "unit":
            raise
        raise RuleError(f"{label} in {unit} has {error}; “{value}” has more.", field_name) \
            from None
    if abs(amount) >= MAX_AMOUNT:
        raise RuleError(f"{label} is too large: keep it under a trillion ({unit}).", field_name)
    if not signed and amount <= 0:
        raise RuleError(f"{label} must be more than zero.", field_name)
    if signed and amount == 0:
        raise RuleError(f"{label} of zero changes nothing.", field_name)
    return amount


def money(value: object, currency: str, label: str = "unit cost",
          field_name: str = "unit_cost") -> Decimal:
    """A non-negative sum of *currency*, quantised to its minor units."""
    digits = currencies().get(currency)
    if digits is None:
        raise RuleError(f"“{currency}” is not an ISO 4217 currency code (EUR, USD, JPY...).",
                        "currency")
    amount = parse_number(value, label, field_name)
    try:
        amount = quantise(amount, digits)
    except RuleError as error:
        raise RuleError(f"{currency} has {error}; “{value}” has more.", field_name) from None
    if amount < 0:
        raise RuleError(f"{label} cannot be negative.", field_name)
    if amount >= MAX_AMOUNT:
        raise RuleError(f"{label} is too large: keep it under a trillion {currency}.",
                        field_name)
    return amount


def cost(amount: Decimal, unit_cost: Decimal, currency: str) -> Decimal:
    """amount × unit_cost, rounded half-even to *currency*'s minor units
    (exactly: never rounded first by the default 28-digit context)."""
    return EXACT.multiply(amount, unit_cost).quantize(
        Decimal(1).scaleb(-currencies()[currency]), rounding=ROUND_HALF_EVEN, context=EXACT)


def text(n: Decimal) -> str:
    """How a decimal is written in entries and exports: plain, exact."""
    return format(n, "f")


def shown(n: Decimal, unit: str) -> str:
    """A quantity as people read it: money with its minor units ("24.50"),
    other units without trailing zeros ("20" kg, "1.25" kg)."""
    if unit in currencies():
        return text(n)
    return text(n.normalize()) if n else "0"


def unit_named(name: str, *, money: bool = False) -> str:
    """The unit *name* means: a unit of the fixed list in any case ("KG",
    "kwh"), or a currency code. A currency code must be written in capitals
    unless the need is money, so "cup" is not read as Cuban pesos."""
    for unit in UNITS:
        if name == unit or name.casefold() == unit.casefold():
            return unit
    code = name.upper()
    if code in currencies() and (money or name == code):
        return code
    raise RuleError(f"“{name}” is not a unit. Use one of {', '.join(UNITS)}, or a currency "
                    "code in capitals (EUR, USD, ...) for money.", "unit")


# ---------------------------------------------------------------- dates

def check_date(value: object, label: str, field_name: str, *, today: date | None = None,
               not_after_today: bool = False) -> str | None:
    """An ISO date (YYYY-MM-DD) or None; with *not_after_today*, never in
    the future (work and receipts happened already)."""
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"{label} is a date written YYYY-MM-DD.", field_name) from None
    if not_after_today and today is not None and day > today:
        raise RuleError(f"{label} {day.isoformat()} is in the future; record it once it "
                        "has happened.", field_name)
    return day.isoformat()
