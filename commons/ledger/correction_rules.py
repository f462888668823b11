"""Corrections: which entries may be corrected, and the signed deltas
each accepts. Pure rules over plain values."""

from decimal import Decimal

from commons.ledger.quantity_rules import RuleError, parse_number, quantise, quantity
from commons.money import currencies

# Actions that move balances, and the entries a correction may correct with
# the deltas each accepts.
CORRECTABLE: dict[str, tuple[str, ...]] = {
    "need": ("quantity", "unit_cost"),
    "pledge": ("quantity",),
    "receipt": ("quantity",),
    "consume": ("quantity",),
    "work": ("hours",),
}


def check_correction(original_action: str, deltas: dict[str, object], unit: str,
                     currency: str | None) -> dict[str, Decimal]:
    """The signed deltas a correction of an *original_action* entry may
    carry, each quantised to its unit."""
    allowed = CORRECTABLE.get(original_action)
    if allowed is None:
        raise RuleError(f"A {original_action} entry has no amounts to correct; record a new "
                        "entry instead.", "corrects")
    unknown = set(deltas) - set(allowed)
    if unknown:
        raise RuleError(f"A correction of a {original_action} changes "
                        f"{' or '.join(allowed)}, not {', '.join(sorted(unknown))}.",
                        sorted(unknown)[0])
    checked: dict[str, Decimal] = {}
    for key, value in deltas.items():
        if value in (None, ""):
            continue
        if key == "unit_cost":
            if currency is None:
                raise RuleError("This need has no cost estimate to correct.", "unit_cost")
            amount = parse_number(value, "unit_cost delta", "unit_cost")
            try:
                amount = quantise(amount, currencies()[currency])
            except RuleError as error:
                raise RuleError(f"{currency} has {error}.", "unit_cost") from None
            if amount == 0:
                raise RuleError("A unit_cost delta of zero changes nothing.", "unit_cost")
        else:
            amount = quantity(value, "hour" if key == "hours" else unit, f"{key} delta",
                              signed=True, field_name=key)
        checked[key] = amount
    if not checked:
        raise RuleError(f"Give the signed change to make, e.g. {{\"{allowed[0]}\": \"-1\"}}.",
                        allowed[0])
    return checked
