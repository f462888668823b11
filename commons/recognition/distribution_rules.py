"""How a distribution shares an amount of money among people by their
recognition, as plain values. Pure rules; no Flask, no database.

The rule, stated once (the pages and DESIGN.md repeat it): the amount is
counted in the currency's minor units (cents for EUR, yen for JPY). Each
person with recognition first gets the whole minor units of their exact
proportional part, amount × their recognition ÷ everyone's recognition,
rounded down. The units left over (fewer than the number of people) go one
each to the people with the largest fractions cut off, and between equal
fractions to the lowest id first. People with no recognition get nothing.
So the shares add up to the amount exactly, and each is within one minor
unit of its exact part."""

from collections.abc import Mapping
from decimal import Decimal

from commons.ledger.quantity_rules import EXACT, shown


class DistributionRefused(ValueError):
    """A distribution that cannot be made; the message says why and what to do."""


def shares(amount: Decimal, weights: Mapping[int, Decimal],
           minor_digits: int) -> dict[int, Decimal]:
    """*amount* shared among the ids of *weights* in proportion to their
    weight, each share in whole minor units (*minor_digits* decimals); ids
    whose weight is zero are left out. Refuses a negative weight, an amount
    that is not a whole number of minor units, and weights that are all
    zero (nobody to share among)."""
    units = amount.scaleb(minor_digits)
    if units != units.to_integral_value() or units < 0:
        raise DistributionRefused(
            f"{amount} is not a whole number of minor units ({minor_digits} decimals).")
    if any(weight < 0 for weight in weights.values()):
        raise DistributionRefused("A recognition is never negative.")
    people = {person: weight for person, weight in weights.items() if weight > 0}
    if not people:
        raise DistributionRefused(
            "Nobody has recognition in this period: there is nobody to share among. "
            "Confirm the period's hours first, or choose another period.")
    # Whole numbers throughout (weights scaled by their most decimals), so
    # every part and remainder is exact and 2,000 people take milliseconds.
    places = max(-min(int(weight.as_tuple().exponent) for weight in people.values()), 0)
    scaled = {person: int(weight.scaleb(places)) for person, weight in people.items()}
    total = sum(scaled.values())
    whole_units = int(units)
    floors: dict[int, int] = {}
    remainders: list[tuple[int, int]] = []
    for person, weight in scaled.items():
        floor, remainder = divmod(whole_units * weight, total)
        floors[person] = floor
        remainders.append((-remainder, person))
    left = whole_units - sum(floors.values())
    # Largest remainder first; equal remainders to the lowest id.
    for _, person in sorted(remainders)[:left]:
        floors[person] += 1
    return {person: Decimal(floors[person]).scaleb(-minor_digits)
            for person in sorted(floors)}


def available(balance: Decimal, owed: Decimal, reserved: Decimal) -> Decimal:
    """What a new distribution may share in one currency: the funds'
    balance, less the claims approved but not yet paid, less what other
    open distributions would share."""
    return EXACT.subtract(EXACT.subtract(balance, owed), reserved)


def amount_refusal(amount: Decimal, currency: str, free: Decimal) -> str | None:
    """Why *amount* *currency* cannot be shared when *free* is available,
    or None."""
    if amount <= 0:
        return "The amount to share must be more than zero."
    if amount > free:
        return (f"Only {shown(max(free, Decimal(0)), currency)} {currency} is available to share (the funds in "
                f"{currency}, less claims owed and other open distributions); share at most "
                "that, or record the money received first.")
    return None


def exact_part(amount: Decimal, recognition: Decimal, total: Decimal) -> Decimal:
    """amount × recognition ÷ total, to 6 decimals: the figure each share
    was rounded from, shown beside it."""
    if total == 0:
        return Decimal(0)
    return EXACT.divide(EXACT.multiply(amount, recognition), total).quantize(Decimal("0.000001"))
