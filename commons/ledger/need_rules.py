"""An input requirement's state: its kind and what the needs board groups
it by, whether it waits for an `input` proposal, whether it is open, and
why it takes no pledge or receipt. Pure rules over plain values."""

import re
from decimal import Decimal

from commons.ledger.quantity_rules import cost, shown
from commons.money import currencies

KINDS = ("material", "equipment", "energy", "space", "service", "labour", "money")

_NEEDS_WORD = re.compile(r"[\W_]+", re.UNICODE)


def resource_key(kind: str, title: str) -> str:
    """What the needs board groups by: the kind and the title folded to
    words, so "PLA filament" and "pla  Filament!" meet."""
    words = _NEEDS_WORD.sub(" ", title.casefold()).strip()
    return f"{kind}:{words}"[:200]


# ---------------------------------------------------------------- approval

def estimated_total(needed: Decimal, unit: str, unit_cost: Decimal | None,
                    currency: str | None) -> tuple[Decimal, str] | None:
    """The estimated cost of a need, or None if it has no estimate. Money
    needed in a currency costs itself."""
    if unit in currencies():
        return needed, unit
    if unit_cost is None or currency is None:
        return None
    return cost(needed, unit_cost, currency), currency


def needs_proposal(total: tuple[Decimal, str] | None, threshold: Decimal,
                   threshold_currency: str) -> bool:
    """Whether an input with this estimate waits for a passed `input`
    proposal: above the project's threshold, or priced in another currency
    (no exchange rate is assumed); never when it has no estimate."""
    if total is None:
        return False
    amount, currency = total
    return currency != threshold_currency or amount > threshold


# ---------------------------------------------------------------- state

def is_open(closed: bool, still_needed: Decimal) -> bool:
    """Whether an input is an open need: not closed, and part of it is still
    needed (nobody has delivered or pledged it yet). Approved and pending
    inputs alike (pledges are welcome while the members decide); covered
    and fulfilled ones are not. The ledger's totals, the needs board and the
    API all ask this, so they agree with the balance each input shows."""
    return not closed and still_needed > 0


def pledge_refusal(number: int, title: str, unit: str, closed: bool, needed: Decimal,
                   received: Decimal, pledged: Decimal) -> str | None:
    """Why input #*number* takes no pledge, or None when it takes one: an
    input takes pledges while it is open (``is_open``). The input page shows
    this instead of the pledge form; the service refuses with it."""
    still_needed = max(needed - received - pledged, Decimal(0))
    if is_open(closed, still_needed):
        return None
    name = f"Input #{number} ({title})"
    if closed:
        return f"{name} is closed; nothing more is recorded against it."
    if received >= needed:
        return f"{name} has arrived in full; nothing more is needed."
    return (f"{name} is pledged in full ({shown(pledged, unit)} {unit} still to come); nothing "
            "more is needed unless a pledge is withdrawn.")


def receipt_refusal(number: int, title: str, closed: bool, approved: bool) -> str | None:
    """Why input #*number* takes no receipt, or None when it takes one.
    Until the members approve a pending input, nothing is received against
    it: what arrived would be spent on something the project has not
    agreed to."""
    name = f"Input #{number} ({title})"
    if closed:
        return f"{name} is closed; nothing more is recorded against it."
    if not approved:
        return (f"{name} is pending approval: its estimated cost is above the project's "
                "threshold, so the members decide first. Receipts are recorded once it is "
                "approved (when its input proposal passes).")
    return None


def status_of(closed: bool, approved: bool, needed: Decimal, received: Decimal,
              pledged: Decimal) -> str:
    if closed:
        return "closed"
    if not approved:
        return "pending"
    if received >= needed:
        return "fulfilled"
    if received + pledged >= needed:
        return "covered"
    return "approved"
