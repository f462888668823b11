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

# (user id, day, kind, key, delta): kind is hours or confirmed_hours (the
# part of them another member confirmed; key: category), pledged,
# delivered (key: unit), pledged_value, delivered_value (key: currency),
# pledges, deliveries (key: "").
Change = tuple[int, date, str, str, Decimal]
ONE = Decimal(1)
COUNTS = {"pledged": "pledges", "delivered": "deliveries"}


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
    received: Decimal = Decimal(0)

    @property
    def given(self) -> Decimal:
        """What the pledge counts for: all of it while it stands; once
        withdrawn, what had arrived against it (only the rest is taken back)."""
        return self.received if self.withdrawn else self.quantity


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
    hours: Decimal = Decimal(0)
    confirmed: bool = False  # by another member (issue 20)


@dataclass
class State:
    inputs: dict[int, Need] = field(default_factory=dict)
    pledges: dict[int, Pledged] = field(default_factory=dict)
    deliveries: dict[int, Delivered] = field(default_factory=dict)
    work: dict[int, Worked] = field(default_factory=dict)


def _amounts(what: str, user: int | None, day: date, need: Need, quantity: Decimal
             ) -> list[Change]:
    if user is None or not quantity:
        return []
    changes = [(user, day, what, need.unit, quantity)]
    if need.unit_cost is not None and need.currency:
        changes.append((user, day, f"{what}_value", need.currency, quantity * need.unit_cost))
    return changes


def _counted(what: str, user: int | None, day: date, need: Need, before: Decimal,
             after: Decimal) -> list[Change]:
    """A pledge or delivery that went from *before* to *after*: the amount
    changes by the difference, and it counts as one while above zero (one
    corrected to nothing is no contribution)."""
    if user is None or before == after:
        return []
    changes = _amounts(what, user, day, need, after - before)
    if (before > 0) != (after > 0):
        changes.append((user, day, COUNTS[what], "", ONE if after > 0 else -ONE))
    return changes


def apply(state: State, seq: int, day: date, actor: int | None, action: str, data: dict,
          users: dict[str, int]) -> list[Change]:
    """The changes entry *seq* makes (and *state* moves on). *day* is the
    entry's date (UTC); *users* maps the usernames the journal names to ids.
    A pledge or delivery the state does not hold is one this entry cannot
    change (the caller loads what each entry touches)."""
    if action == "need":
        state.inputs[data["input"]] = Need(
            data["unit"], Decimal(data["unit_cost"]) if data.get("unit_cost") else None,
            data.get("currency"))
        return []
    if action == "work":
        hours = Decimal(data["hours"])
        worked = Worked(users.get(data.get("worker", ""), actor), date.fromisoformat(data["date"]),
                        data["category"], hours)
        state.work[seq] = worked
        return [(worked.user, worked.day, "hours", worked.category, hours)] \
            if worked.user is not None else []
    if action in ("work_confirm", "work_unconfirm"):
        return _confirmation(state.work.get(data["work"]), action == "work_confirm")
    if action == "pledge":
        user = users.get(data.get("pledger", ""), actor)
        pledged = state.pledges[seq] = Pledged(user, day, data["input"], Decimal(0))
        return _pledge_changes(state, pledged, quantity=Decimal(data["quantity"]))
    if action == "withdraw":
        pledged = state.pledges[data["pledge"]]
        return _pledge_changes(state, pledged, withdrawn=True)
    if action == "receipt":
        amount = Decimal(data["quantity"])
        against = state.pledges.get(data["pledge"]) if data.get("pledge") is not None else None
        changes = _pledge_changes(state, against, received=against.received + amount) \
            if against is not None else []
        user = users.get(data.get("provider_user") or "")
        if user is None:
            return changes
        delivered = state.deliveries[seq] = Delivered(
            user, date.fromisoformat(data["date"]), data["input"], Decimal(0))
        return changes + _delivery_changes(state, delivered, amount)
    if action == "correct":
        return _correct(state, data)
    return []  # approve, close, consume: no one's contribution changes


def _confirmation(worked: Worked | None, confirmed: bool) -> list[Change]:
    """A work entry confirmed (or no longer): its hours count as confirmed
    hours (or stop counting)."""
    if worked is None or worked.confirmed == confirmed:
        return []
    worked.confirmed = confirmed
    if worked.user is None:
        return []
    return [(worked.user, worked.day, "confirmed_hours", worked.category,
             worked.hours if confirmed else -worked.hours)]


def _pledge_changes(state: State, pledged: Pledged, **now) -> list[Change]:
    before = pledged.given
    for name, value in now.items():
        setattr(pledged, name, value)
    return _counted("pledged", pledged.user, pledged.day, state.inputs[pledged.input], before,
                    pledged.given)


def _delivery_changes(state: State, delivered: Delivered, quantity: Decimal) -> list[Change]:
    before, delivered.quantity = delivered.quantity, quantity
    return _counted("delivered", delivered.user, delivered.day, state.inputs[delivered.input],
                    before, quantity)


def _correct(state: State, data: dict) -> list[Change]:
    deltas = {key: Decimal(value) for key, value in data["deltas"].items()}
    original, seq = data["action"], data["corrects"]
    if original == "work":
        worked = state.work.get(seq)
        if worked is None:
            return []
        # A correction that changes the hours clears their confirmation.
        changes = _confirmation(worked, False) if deltas["hours"] else []
        worked.hours += deltas["hours"]
        if worked.user is None:
            return changes
        return changes + [(worked.user, worked.day, "hours", worked.category, deltas["hours"])]
    change = deltas.get("quantity", Decimal(0))
    if original == "pledge":
        pledged = state.pledges[seq]
        return _pledge_changes(state, pledged, quantity=pledged.quantity + change)
    if original == "receipt":
        against = state.pledges.get(data["pledge"]) if data.get("pledge") is not None else None
        changes = _pledge_changes(state, against, received=against.received + change) \
            if against is not None else []
        delivered = state.deliveries.get(seq)
        if delivered is not None:
            changes += _delivery_changes(state, delivered, delivered.quantity + change)
        return changes
    if original == "need" and "unit_cost" in deltas:
        need = state.inputs[data["input"]]
        cost_change = deltas["unit_cost"]
        need.unit_cost = (need.unit_cost or Decimal(0)) + cost_change
        changes = []
        if not need.currency:
            return changes
        for pledged in state.pledges.values():
            if pledged.input == data["input"] and pledged.user is not None and pledged.given:
                changes.append((pledged.user, pledged.day, "pledged_value", need.currency,
                                pledged.given * cost_change))
        for delivered in state.deliveries.values():
            if delivered.input == data["input"] and delivered.quantity:
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
