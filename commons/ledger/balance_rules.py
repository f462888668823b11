"""The fold that turns a journal into balances. Every balance the
platform shows is folded from entries by ``apply``, one entry at a time:
services apply each new entry to the stored balance, and ``rebuild``
applies the whole journal from nothing, so the two agree by construction
(and a test checks they do). Pure rules over plain values."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from commons.ledger.fund_rules import (
    CLAIM_ACTIONS,
    ClaimBalance,
    ClaimKey,
    FundBalance,
    apply_claim,
    credit,
)
from commons.ledger.need_rules import is_open, status_of
from commons.ledger.quantity_rules import EXACT, cost, decimals_of
from commons.ledger.recurrence_rules import month_text, months_covered, open_month, parse_month
from commons.money import currencies


@dataclass
class PledgeBalance:
    seq: int
    input: int
    pledger: str
    quantity: Decimal
    received: Decimal = Decimal(0)
    withdrawn: bool = False
    note: str = ""

    @property
    def outstanding(self) -> Decimal:
        return Decimal(0) if self.withdrawn else max(self.quantity - self.received, Decimal(0))


@dataclass
class InputBalance:
    number: int
    seq: int
    title: str
    kind: str
    unit: str
    needed: Decimal
    unit_cost: Decimal | None
    currency: str | None
    needed_by: str | None
    description: str
    approved: bool
    closed: bool = False
    received: Decimal = Decimal(0)
    consumed: Decimal = Decimal(0)
    pledges: dict[int, PledgeBalance] = field(default_factory=dict)
    # A need that recurs ("monthly"): *needed* is per month from *starts* ("YYYY-MM").
    recurs: str | None = None
    starts: str | None = None

    @property
    def pledged(self) -> Decimal:
        """Pledged and not yet received (nor withdrawn)."""
        return sum((p.outstanding for p in self.pledges.values()), self._zero)

    @property
    def still_needed(self) -> Decimal:
        """What nobody has delivered or offered yet (of a recurring need:
        to cover the month it is open in)."""
        return self._still_needed(self.pledged)

    def _still_needed(self, pledged: Decimal) -> Decimal:
        needed = self.needed
        if self.starts is not None:  # through the first month not covered
            supplied = self.received + pledged
            needed = self.needed * (months_covered(self.needed, supplied) + 1)
        return max(needed - self.received - pledged, self._zero)

    def _status(self, pledged: Decimal) -> str:
        if self.starts is not None:  # covered or not depends on the month: see ``recurring``
            return "closed" if self.closed else "approved" if self.approved else "pending"
        return status_of(self.closed, self.approved, self.needed, self.received, pledged)

    @property
    def uncovered_from(self) -> str | None:
        """A recurring need's first month not covered ("YYYY-MM"), else None."""
        if self.starts is None:
            return None
        return month_text(open_month(parse_month(self.starts), self.needed,
                                     self.received + self.pledged))

    def derived(self) -> tuple[Decimal, Decimal, str]:
        """(pledged, still_needed, status), summing the pledges once instead
        of once per property: what a verify compares for every input."""
        pledged = self._zero
        nothing = Decimal(0)
        for pledge in self.pledges.values():  # ``outstanding``, inline: 280,000 at a verify
            if not pledge.withdrawn:
                pledged += max(pledge.quantity - pledge.received, nothing)
        return pledged, self._still_needed(pledged), self._status(pledged)

    @property
    def _zero(self) -> Decimal:
        return Decimal(0).scaleb(-decimals_of(self.unit))

    @property
    def status(self) -> str:
        return self._status(self.pledged)

    @property
    def open(self) -> bool:
        return is_open(self.closed, self.still_needed)


@dataclass
class WorkBalance:
    seq: int
    worker: str
    date: str
    hours: Decimal
    category: str
    description: str
    onerous: int | None = None  # the worker's rating, 1 to 3
    # Another member's confirmation (issue 20): who, the ``work_confirm``
    # entry's seq and its time (as ``journal_rules.timestamp`` writes it).
    confirmed_by: str | None = None
    confirmed_seq: int | None = None
    confirmed_at: str | None = None

    def unconfirm(self) -> None:
        self.confirmed_by = self.confirmed_seq = self.confirmed_at = None


_ZERO = Decimal(0)  # immutable: one for every pledge's nothing received yet

# Entries that confirm logged work or withdraw a confirmation.
CONFIRM_ACTIONS = ("work_confirm", "work_unconfirm")


@dataclass
class Balances:
    inputs: dict[int, InputBalance] = field(default_factory=dict)
    work: dict[int, WorkBalance] = field(default_factory=dict)
    funds: dict[str, FundBalance] = field(default_factory=dict)
    claims: dict[ClaimKey, ClaimBalance] = field(default_factory=dict)


def apply(balances: Balances, seq: int, action: str, data: dict[str, Any]) -> None:
    """Fold one entry into *balances*. Entries were checked when written;
    this only does the arithmetic."""
    # The commonest first (receipts, pledges, uses, work: nine in ten of a
    # journal): this runs once per entry of a full verify.
    if action == "receipt":
        need = balances.inputs[data["input"]]
        amount = Decimal(data["quantity"])
        need.received += amount
        if data.get("pledge") is not None:
            need.pledges[data["pledge"]].received += amount
        if need.unit in currencies():  # money received is the project's funds
            credit(balances.funds, need.unit, amount)
    elif action == "pledge":
        # Positional, every field given: keywords and defaults cost a
        # third of the object (280,000 pledges in a million entries).
        number = data["input"]
        balances.inputs[number].pledges[seq] = PledgeBalance(
            seq, number, data["pledger"], Decimal(data["quantity"]), _ZERO, False,
            data.get("note", ""))
    elif action == "consume":
        balances.inputs[data["input"]].consumed += Decimal(data["quantity"])
    elif action == "work":
        balances.work[seq] = WorkBalance(seq, data["worker"], data["date"],
                                         Decimal(data["hours"]), data["category"],
                                         data.get("description", ""), data.get("onerous"),
                                         None, None, None)
    elif action == "need":
        zero = Decimal(0).scaleb(-decimals_of(data["unit"]))  # "0.000" kg, "0.00" EUR
        balances.inputs[data["input"]] = InputBalance(
            number=data["input"], seq=seq, title=data["title"], kind=data["kind"],
            unit=data["unit"], needed=Decimal(data["quantity"]),
            unit_cost=_decimal(data.get("unit_cost")), currency=data.get("currency"),
            needed_by=data.get("needed_by"), description=data.get("description", ""),
            approved=data["approval"] == "approved", received=zero, consumed=zero,
            recurs=data.get("recurs"), starts=data.get("starts"))
    elif action == "approve":
        balances.inputs[data["input"]].approved = True
    elif action == "close":
        balances.inputs[data["input"]].closed = True
    elif action == "withdraw":
        balances.inputs[data["input"]].pledges[data["pledge"]].withdrawn = True
    elif action == "work_confirm":
        work = balances.work[data["work"]]
        work.confirmed_by, work.confirmed_seq = data["confirmer"], seq
        work.confirmed_at = data["at"]
    elif action == "work_unconfirm":
        balances.work[data["work"]].unconfirm()
    elif action == "correct":
        _apply_correction(balances, data)
    elif action in CLAIM_ACTIONS:
        apply_claim(balances.funds, balances.claims, seq, action, data)
    else:
        raise ValueError(f"unknown ledger action {action!r}")


def _apply_correction(balances: Balances, data: dict[str, Any]) -> None:
    deltas = {key: Decimal(value) for key, value in data["deltas"].items()}
    original = data["action"]
    if original == "work":
        work = balances.work[data["corrects"]]
        work.hours += deltas["hours"]
        # The confirmer confirmed other figures: the corrected hours wait
        # for a confirmation of their own.
        if deltas["hours"]:
            work.unconfirm()
        return
    need = balances.inputs[data["input"]]
    change = deltas.get("quantity", Decimal(0))
    if original == "need":
        need.needed += change
        if "unit_cost" in deltas:
            need.unit_cost = (need.unit_cost or Decimal(0)) + deltas["unit_cost"]
        if "approval" in data:  # the estimate crossed the project's threshold
            need.approved = data["approval"] == "approved"
    elif original == "pledge":
        need.pledges[data["corrects"]].quantity += change
    elif original == "receipt":
        need.received += change
        if data.get("pledge") is not None:
            need.pledges[data["pledge"]].received += change
        if need.unit in currencies():
            credit(balances.funds, need.unit, change)
    elif original == "consume":
        need.consumed += change


def rebuild(entries: Iterable[tuple[int, str, dict[str, Any]]]) -> Balances:
    """Balances from the journal alone: (seq, action, data) in order."""
    balances = Balances()
    for seq, action, data in entries:
        apply(balances, seq, action, data)
    return balances


@dataclass
class Totals:
    """One currency's sums over a project's inputs. Currencies never mix."""

    estimated: Decimal = Decimal(0)  # cost of what open needs still need
    pledged: Decimal = Decimal(0)    # outstanding pledges to inputs not closed
    received: Decimal = Decimal(0)   # everything that arrived


def totals(inputs: Iterable[Any]) -> dict[str, Totals]:
    """Per-currency totals over inputs with a cost estimate (objects with
    unit, unit_cost, currency, still_needed, pledged, received, closed).
    What is still needed counts open inputs only (``is_open``), at their
    still-needed quantity: the sum of what the inputs' balances show."""
    sums: dict[str, Totals] = {}
    for need in inputs:
        if need.unit in currencies():
            unit_cost, currency = Decimal(1), need.unit
        elif need.unit_cost is not None and need.currency:
            unit_cost, currency = need.unit_cost, need.currency
        else:
            continue
        row = sums.setdefault(currency, Totals())
        row.received = EXACT.add(row.received, cost(need.received, unit_cost, currency))
        if is_open(need.closed, need.still_needed):
            row.estimated = EXACT.add(row.estimated, cost(need.still_needed, unit_cost,
                                                          currency))
        if not need.closed:
            row.pledged = EXACT.add(row.pledged, cost(need.pledged, unit_cost, currency))
    return dict(sorted(sums.items()))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
