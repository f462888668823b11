"""The ledger's pure rules: units and quantisation, the canonical form and
hash chain of journal entries, and the fold that turns a journal into
balances. Plain values only; no Flask, no database.

Every balance the platform shows is ``fold``ed from entries by ``apply``,
one entry at a time: services apply each new entry to the stored balance,
and ``rebuild`` applies the whole journal from nothing, so the two agree by
construction (and a test checks they do)."""

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from commons.money import currencies

KINDS = ("material", "equipment", "energy", "space", "service", "labour", "money")

# Physical units and how many decimals a quantity of each may carry.
UNITS: dict[str, int] = {
    "piece": 0, "g": 3, "kg": 3, "t": 3, "m": 3, "m2": 3, "m3": 3, "l": 3,
    "kWh": 3, "hour": 2, "day": 2, "month": 2,
}

# What the work is like, not only how long it took: a project can see
# whether the rote and the care work always fall on the same people.
WORK_CATEGORIES: dict[str, str] = {
    "routine": "Routine and maintenance",
    "care": "Care (cleaning, cooking, support)",
    "creative": "Creative and design",
    "coordination": "Coordination",
}
MAX_HOURS_PER_DAY = Decimal(24)
# How far back a person may log hours themselves (COMMONS_WORK_MAX_DAYS_BACK);
# older work goes through a correction, which names who said so and why.
WORK_MAX_DAYS_BACK = 60

GENESIS = "0" * 64

# A quantity or unit cost stays below a trillion, so a need's cost and a
# project's totals stay exact in EXACT's 60 digits.
MAX_AMOUNT = Decimal(10) ** 12
EXACT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])

# Actions that move balances, and the entries a correction may correct with
# the deltas each accepts.
CORRECTABLE: dict[str, tuple[str, ...]] = {
    "need": ("quantity", "unit_cost"),
    "pledge": ("quantity",),
    "receipt": ("quantity",),
    "consume": ("quantity",),
    "work": ("hours",),
}

_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,18})?")
_NEEDS_WORD = re.compile(r"[\W_]+", re.UNICODE)


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


# ---------------------------------------------------------------- the chain

def canonical(document: dict[str, Any]) -> bytes:
    """The one byte form of an entry: sorted keys, no spaces, UTF-8.
    Decimals are strings already; NaN cannot get in."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def chain(prev_hash: str, payload: bytes) -> str:
    """hash = sha256(prev_hash || payload), prev_hash as its 64 hex digits."""
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


def timestamp(at: datetime) -> str:
    """2026-03-01T12:00:00.000005Z: UTC, always six fractional digits."""
    if at.utcoffset():
        at = at.astimezone(timezone.utc)
    text = at.isoformat(timespec="microseconds")
    return (text[:-6] if at.tzinfo is not None else text) + "Z"


def document(project: str, seq: int, at: datetime, actor: str | None, action: str,
             data: dict[str, Any]) -> dict[str, Any]:
    """What an entry says, all of it hashed: which project, where in its
    sequence, when, who, what."""
    return {"project": project, "seq": seq, "at": timestamp(at), "actor": actor,
            "action": action, "data": data}


@dataclass(slots=True)  # not frozen: a million of them are made per verify
class StoredEntry:
    """An entry as read back for verification."""

    seq: int
    at: datetime
    actor: str | None
    action: str
    payload: str
    prev_hash: str
    hash: str
    input_number: int | None = None


def verify_chain(project: str, entries: Iterable[Any], head: tuple[int, str] | None,
                 fold: Callable[[Any, dict[str, Any]], str | None] | None = None
                 ) -> tuple[int, int | None, str]:
    """Walk *entries* in sequence order and check each: its payload says
    what its columns say, its prev_hash is the previous hash, and its hash
    is sha256(prev_hash || payload); then the head row names the last one.
    The hash is over the payload's bytes as stored, so any change to them is
    caught there; writers store the canonical form, so anyone can recompute
    it from the entry's fields.
    *fold(entry, document)*, if given, sees each entry that passed, parsed
    once; it returns a problem to stop at, or None.
    Returns (entries checked, first bad seq or None, what is wrong)."""
    previous, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return count, expected_seq, f"entry {expected_seq} is missing (found {entry.seq} next)"
        try:
            said = json.loads(entry.payload)
        except ValueError:
            return count, entry.seq, "its payload is not JSON"
        at = timestamp(entry.at)
        if (said.get("seq") != entry.seq or said.get("action") != entry.action
                or said.get("actor") != entry.actor or said.get("at") != at
                or said.get("project") != project):
            columns = {"project": project, "seq": entry.seq, "at": at, "action": entry.action,
                       "actor": entry.actor}
            key = next(key for key, value in columns.items() if said.get(key) != value)
            return count, entry.seq, (f"its {key} column says {columns[key]!r}, its payload "
                                      f"{said.get(key)!r}")
        data = said.get("data")
        said_input = data.get("input") if isinstance(data, dict) else None
        if said_input != entry.input_number:
            return count, entry.seq, (f"its input column says {entry.input_number!r}, its "
                                      f"payload {said_input!r}")
        if entry.prev_hash != previous:
            return count, entry.seq, "its prev_hash is not the previous entry's hash"
        if chain(entry.prev_hash, entry.payload.encode("utf-8")) != entry.hash:
            return count, entry.seq, "its hash does not match its content"
        if fold is not None and (problem := fold(entry, said)):
            return count, entry.seq, problem
        previous, expected_seq = entry.hash, expected_seq + 1
    head_seq, head_hash = head or (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != previous:
        return count, max(head_seq, expected_seq - 1), (
            f"the head says entry {head_seq} {head_hash[:12]}, the journal ends at "
            f"{expected_seq - 1} {previous[:12]}")
    return count, None, ""


# ---------------------------------------------------------------- balances

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

    @property
    def pledged(self) -> Decimal:
        """Pledged and not yet received (nor withdrawn)."""
        return sum((p.outstanding for p in self.pledges.values()), self._zero)

    @property
    def still_needed(self) -> Decimal:
        """What nobody has delivered or offered yet."""
        return max(self.needed - self.received - self.pledged, self._zero)

    @property
    def _zero(self) -> Decimal:
        return Decimal(0).scaleb(-decimals_of(self.unit))

    @property
    def status(self) -> str:
        return status_of(self.closed, self.approved, self.needed, self.received, self.pledged)

    @property
    def open(self) -> bool:
        return is_open(self.closed, self.still_needed)


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


@dataclass
class WorkBalance:
    seq: int
    worker: str
    date: str
    hours: Decimal
    category: str
    description: str


@dataclass
class Balances:
    inputs: dict[int, InputBalance] = field(default_factory=dict)
    work: dict[int, WorkBalance] = field(default_factory=dict)


def apply(balances: Balances, seq: int, action: str, data: dict[str, Any]) -> None:
    """Fold one entry into *balances*. Entries were checked when written;
    this only does the arithmetic."""
    if action == "need":
        zero = Decimal(0).scaleb(-decimals_of(data["unit"]))  # "0.000" kg, "0.00" EUR
        balances.inputs[data["input"]] = InputBalance(
            number=data["input"], seq=seq, title=data["title"], kind=data["kind"],
            unit=data["unit"], needed=Decimal(data["quantity"]),
            unit_cost=_decimal(data.get("unit_cost")), currency=data.get("currency"),
            needed_by=data.get("needed_by"), description=data.get("description", ""),
            approved=data["approval"] == "approved", received=zero, consumed=zero)
    elif action == "approve":
        balances.inputs[data["input"]].approved = True
    elif action == "close":
        balances.inputs[data["input"]].closed = True
    elif action == "pledge":
        balances.inputs[data["input"]].pledges[seq] = PledgeBalance(
            seq=seq, input=data["input"], pledger=data["pledger"],
            quantity=Decimal(data["quantity"]), note=data.get("note", ""))
    elif action == "withdraw":
        balances.inputs[data["input"]].pledges[data["pledge"]].withdrawn = True
    elif action == "receipt":
        need = balances.inputs[data["input"]]
        amount = Decimal(data["quantity"])
        need.received += amount
        if data.get("pledge") is not None:
            need.pledges[data["pledge"]].received += amount
    elif action == "consume":
        balances.inputs[data["input"]].consumed += Decimal(data["quantity"])
    elif action == "work":
        balances.work[seq] = WorkBalance(seq=seq, worker=data["worker"], date=data["date"],
                                         hours=Decimal(data["hours"]), category=data["category"],
                                         description=data.get("description", ""))
    elif action == "correct":
        _apply_correction(balances, data)
    else:
        raise ValueError(f"unknown ledger action {action!r}")


def _apply_correction(balances: Balances, data: dict[str, Any]) -> None:
    deltas = {key: Decimal(value) for key, value in data["deltas"].items()}
    original = data["action"]
    if original == "work":
        balances.work[data["corrects"]].hours += deltas["hours"]
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


# ---------------------------------------------------------------- checks

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


def check_work_date(value: object, *, today: date, joined: date | None,
                    max_days_back: int) -> str:
    """The day hours were worked (YYYY-MM-DD; empty is *today*): never in the
    future, never before the worker *joined* the project, and at most
    *max_days_back* days ago. Without these bounds any day of year 1 is
    an empty day, and the 24 hours a day cap means nothing."""
    day = check_date(value, "Date", "date", today=today, not_after_today=True)
    worked_on = date.fromisoformat(day) if day else today
    if joined is not None and worked_on < joined:
        raise RuleError(f"Date {worked_on.isoformat()} is before you joined the project on "
                        f"{joined.isoformat()}; log only work done since then.", "date")
    earliest = date.fromordinal(max(1, today.toordinal() - max(0, max_days_back)))
    if worked_on < earliest:
        raise RuleError(f"Date {worked_on.isoformat()} is more than {max_days_back} days ago. "
                        f"Hours older than {max_days_back} days are recorded as a correction "
                        "of the ledger: correct one of your earlier work entries (or ask a "
                        "member to), giving the day and what you did in the reason.", "date")
    return worked_on.isoformat()


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
