"""Pure rules of rotas: when each turn falls, the fair order in which the
next turns are handed out, what state a turn is in, and the share of each
kind of work the busiest person carried month by month. Plain values only:
no Flask, no database."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from commons.ledger.work_rules import WORK_CATEGORIES

# Turns handed out ahead: enough to plan a month of a weekly task, few
# enough that a newcomer's opt-in shows up soon.
TURNS_AHEAD = 4
# The window over which "who did least of this kind of work" is judged.
FAIRNESS_DAYS = 90
MAX_EVERY_DAYS = 366
MAX_TITLE = 200
DEFAULT_CATEGORY = "care"


class RotaRuleError(ValueError):
    """A value a rota cannot take; the message says what to give instead."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- the rota

def check_category(value: object) -> str:
    category = str(value or "").strip().lower() or DEFAULT_CATEGORY
    if category not in WORK_CATEGORIES:
        raise RotaRuleError(f"Kind of work is one of: {', '.join(WORK_CATEGORIES)}.",
                            "category")
    return category


def check_every_days(value: object) -> int:
    """How many days apart the turns are: 1 to 366 (7 is weekly)."""
    text = str(value if value is not None else "").strip().lower()
    if text == "weekly":
        return 7
    try:
        days = int(text)
    except ValueError:
        raise RotaRuleError("Every how many days: a whole number from 1 to "
                            f"{MAX_EVERY_DAYS} (7 is weekly).", "every_days") from None
    if not 1 <= days <= MAX_EVERY_DAYS:
        raise RotaRuleError(f"Every how many days: from 1 to {MAX_EVERY_DAYS} (7 is weekly); "
                            f"{days} is not.", "every_days")
    return days


def check_start(value: object, today: date) -> date:
    """The first turn's day: YYYY-MM-DD, empty for today, at most a year
    ahead and at most a year back (a rota describes work going on now)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RotaRuleError(f"Start date is a day as YYYY-MM-DD, for example "
                            f"{today.isoformat()}; “{text}” is not.", "starts_on") from None
    if abs((day - today).days) > 366:
        raise RotaRuleError("Start date is within a year of today.", "starts_on")
    return day


def due_on(starts_on: date, every_days: int, number: int) -> date:
    """The day of turn *number* (1 is the first)."""
    return starts_on + timedelta(days=(number - 1) * every_days)


def first_upcoming(starts_on: date, every_days: int, today: date) -> int:
    """The number of the first turn whose day is today or later."""
    if today <= starts_on:
        return 1
    behind = (today - starts_on).days
    return behind // every_days + (1 if behind % every_days == 0 else 2)


def turn_state(due: date, done: bool, today: date) -> str:
    """done, upcoming (its day is today or later), or missed: a day that
    passed without it being done. Missed is only shown, never counted
    against anyone."""
    if done:
        return "done"
    return "upcoming" if due >= today else "missed"


# ---------------------------------------------------------------- the order

@dataclass(frozen=True)
class Candidate:
    """An opted-in person as the order sees them."""

    user_id: int
    hours: Decimal          # logged hours of the rota's kind of work, last 90 days
    opted_in_at: datetime
    upcoming: int = 0       # upcoming turns they already hold


def order_key(candidate: Candidate) -> tuple[int, Decimal, datetime, int]:
    """Those holding fewer upcoming turns first (a holder goes after those
    who hold none), then those who did least of the work, then who opted
    in first, then the lower user id: a total order, so ties never depend
    on the database's row order."""
    return (candidate.upcoming, candidate.hours, candidate.opted_in_at, candidate.user_id)


def fair_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Every candidate once, in the order turns go to them."""
    return sorted(candidates, key=order_key)


def assign(candidates: Sequence[Candidate], slots: int) -> list[int]:
    """Who takes each of the next *slots* turns, in turn order: each goes to
    the first by :func:`fair_order`, who then holds one more upcoming turn.
    With nobody opted in, no one is assigned (an empty list)."""
    if not candidates:
        return []
    pool = {candidate.user_id: candidate for candidate in candidates}
    if len(pool) != len(candidates):
        raise ValueError("a person is a candidate once")
    chosen: list[int] = []
    for _ in range(max(0, slots)):
        first = fair_order(pool.values())[0]
        chosen.append(first.user_id)
        pool[first.user_id] = Candidate(first.user_id, first.hours, first.opted_in_at,
                                        first.upcoming + 1)
    return chosen


# ---------------------------------------------------------------- labour

@dataclass(frozen=True)
class MonthShare:
    """One kind of work in one month: its hours, how many did it, and the
    share of the person who did most (per cent, rounded down)."""

    month: str          # YYYY-MM
    total: Decimal
    people: int
    top_user_id: int | None
    top_share: int | None


def months_back(today: date, count: int) -> list[date]:
    """The first days of the last *count* months, oldest first, this month
    last."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def busiest_shares(rows: Iterable[tuple[str, int | None, Sequence[Decimal]]],
                   months: Sequence[str]) -> dict[str, list[MonthShare]]:
    """Per kind of work, month by month, the share of the person who did
    most of it. *rows* are (category, user id, hours per month in the order
    of *months*); a month nobody worked has no share. Ties for the top go to
    the lower user id (the share is the same)."""
    per: dict[str, list[dict[int | None, Decimal]]] = {}
    for category, user_id, hours in rows:
        slots = per.setdefault(category, [{} for _ in months])
        for index, amount in enumerate(hours):
            if amount:
                slots[index][user_id] = slots[index].get(user_id, Decimal(0)) + amount
    result: dict[str, list[MonthShare]] = {}
    for category in sorted(per, key=_category_rank):
        shares = []
        for month, people in zip(months, per[category], strict=True):
            total = sum(people.values(), Decimal(0))
            if not total:
                shares.append(MonthShare(month, Decimal(0), 0, None, None))
                continue
            top_id, top = min(people.items(), key=lambda item: (-item[1], item[0] or 0))
            shares.append(MonthShare(month, total, len(people), top_id,
                                     int(top * 100 // total)))
        result[category] = shares
    return result


def _category_rank(category: str) -> int:
    order = list(WORK_CATEGORIES)
    return order.index(category) if category in order else len(order)
