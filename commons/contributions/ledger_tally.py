"""What each ledger entry changes in the contributor records, as a pure
fold: hours per kind of work, pledged and delivered amounts per unit and
their estimated value per currency, and how many pledges and deliveries.

The same fold keeps the tallies as entries are appended (its state loaded
from the stored balances for what the entry touches) and rebuilds them
from a journal alone (reindex, the migration), so the two cannot differ.
Exact decimals throughout; no Flask, no database."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# (user id, day, kind, key, delta): kind is hours (key: category), pledged,
# delivered (key: unit), pledged_value, delivered_value (key: currency),
# pledges, deliveries (key: "").
Change = tuple[int, date, str, str, Decimal]
ONE = Decimal(1)


@dataclass
class Need:
    unit: str
    unit_cost: Decimal | None
    currency: str | None


@dataclass
class Pledged:
    user: int | None
    day: date
    input: int
    quantity: Decimal
    withdrawn: bool = False


@dataclass
class Delivered:
    user: int
    day: date
    input: int
    quantity: Decimal


@dataclass
class Worked:
    user: int | None
    day: date
    category: str


@dataclass
class State:
    inputs: dict[int, Need] = field(default_factory=dict)
    pledges: dict[int, Pledged] = field(default_factory=dict)
    deliveries: dict[int, Delivered] = field(default_factory=dict)
    work: dict[int, Worked] = field(default_factory=dict)


def _amounts(what: str, user: int | None, day: date, need: Need, quantity: Decimal
             ) -> list[Change]:
    if user is None:
        return []
    changes = [(user, day, what, need.unit, quantity)]
    if need.unit_cost is not None and need.currency:
        changes.append((user, day, f"{what}_value", need.currency, quantity * need.unit_cost))
    return changes


def apply(state: State, seq: int, day: date, actor: int | None, action: str, data: dict,
          users: dict[str, int]) -> list[Change]:
    """The changes entry *seq* makes (and *state* moves on). *day* is the
    entry's date; *users* maps the usernames the journal names to ids."""
    if action == "need":
        state.inputs[data["input"]] = Need(
            data["unit"], Decimal(data["unit_cost"]) if data.get("unit_cost") else None,
            data.get("currency"))
        return []
    if action == "work":
        worked = Worked(users.get(data.get("worker", ""), actor), date.fromisoformat(data["date"]),
                        data["category"])
        state.work[seq] = worked
        hours = Decimal(data["hours"])
        return [(worked.user, worked.day, "hours", worked.category, hours)] \
            if worked.user is not None else []
    if action == "pledge":
        user = users.get(data.get("pledger", ""), actor)
        pledged = state.pledges[seq] = Pledged(user, day, data["input"], Decimal(data["quantity"]))
        need = state.inputs[data["input"]]
        return [] if user is None else \
            [(user, day, "pledges", "", ONE), *_amounts("pledged", user, day, need,
                                                        pledged.quantity)]
    if action == "withdraw":
        pledged = state.pledges[data["pledge"]]
        if pledged.withdrawn:
            return []
        pledged.withdrawn = True
        need = state.inputs[pledged.input]
        return [] if pledged.user is None else \
            [(pledged.user, pledged.day, "pledges", "", -ONE),
             *_amounts("pledged", pledged.user, pledged.day, need, -pledged.quantity)]
    if action == "receipt":
        user = users.get(data.get("provider_user") or "")
        if user is None:
            return []
        delivered = state.deliveries[seq] = Delivered(
            user, date.fromisoformat(data["date"]), data["input"], Decimal(data["quantity"]))
        need = state.inputs[data["input"]]
        return [(user, delivered.day, "deliveries", "", ONE),
                *_amounts("delivered", user, delivered.day, need, delivered.quantity)]
    if action == "correct":
        return _correct(state, data)
    return []  # approve, close, consume: no one's contribution changes


def _correct(state: State, data: dict) -> list[Change]:
    deltas = {key: Decimal(value) for key, value in data["deltas"].items()}
    original, seq = data["action"], data["corrects"]
    if original == "work":
        worked = state.work.get(seq)
        if worked is None or worked.user is None:
            return []
        return [(worked.user, worked.day, "hours", worked.category, deltas["hours"])]
    change = deltas.get("quantity", Decimal(0))
    if original == "pledge":
        pledged = state.pledges[seq]
        pledged.quantity += change
        if pledged.withdrawn or not change:
            return []
        return _amounts("pledged", pledged.user, pledged.day, state.inputs[pledged.input], change)
    if original == "receipt":
        delivered = state.deliveries.get(seq)
        if delivered is None or not change:
            return []
        delivered.quantity += change
        return _amounts("delivered", delivered.user, delivered.day,
                        state.inputs[delivered.input], change)
    if original == "need" and "unit_cost" in deltas:
        need = state.inputs[data["input"]]
        cost_change = deltas["unit_cost"]
        need.unit_cost = (need.unit_cost or Decimal(0)) + cost_change
        changes: list[Change] = []
        for pledged in state.pledges.values():
            if pledged.input == data["input"] and not pledged.withdrawn \
                    and pledged.user is not None and need.currency:
                changes.append((pledged.user, pledged.day, "pledged_value", need.currency,
                                pledged.quantity * cost_change))
        for delivered in state.deliveries.values():
            if delivered.input == data["input"] and need.currency:
                changes.append((delivered.user, delivered.day, "delivered_value", need.currency,
                                delivered.quantity * cost_change))
        return changes
    return []


def totals(changes: list[Change], by_day: bool) -> dict[tuple, Decimal]:
    """Sum changes per (user, kind, key), or per (user, day, kind, key)."""
    summed: dict[tuple, Decimal] = defaultdict(Decimal)
    for user, day, kind, key, delta in changes:
        summed[(user, day, kind, key) if by_day else (user, kind, key)] += delta
    return dict(summed)
