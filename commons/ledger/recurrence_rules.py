"""Recurring needs (issue 20): a need that recurs each month (rent,
hosting, insurance) needs its quantity once per month from its start
month. What was received and what is pledged (and not yet received)
cover the months in order; the first month they do not cover is the
month the need is open in. Pure rules over plain values: months are the
first day of the month (``date``), written "YYYY-MM" in the journal, and
"today" is always passed in, never read.

Everything follows from one count, the months covered: ``supplied //
per_month`` whole months from the start month. So "covered through" is
the start month plus that count less one, and the need is open today
when that first uncovered month is not after the month being supplied
now (today's month, or the start month while it is still to come)."""

from datetime import date
from decimal import Decimal

RECURRENCES = ("monthly",)
# The most months a supply is counted to cover: a pledge of a million for
# a need of one a month would otherwise run past the year 9999 (found by
# hypothesis). A hundred years ahead is covered for any purpose.
MAX_MONTHS = 1200

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class MonthError(ValueError):
    """A month as typed that is not one; the message says what to type."""


def month_of(day: date) -> date:
    """The month *day* falls in (its first day)."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The month *count* months after *month* (before it if negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, later: date) -> int:
    """How many months *later* is after *first* (negative if before)."""
    return (later.year - first.year) * 12 + later.month - first.month


def month_text(month: date) -> str:
    """"YYYY-MM", as the journal writes a month."""
    return f"{month.year:04d}-{month.month:02d}"


def month_named(month: date) -> str:
    """"March 2027", as pages write a month."""
    return f"{_MONTHS[month.month - 1]} {month.year}"


def parse_month(value: object) -> date:
    """A month typed "YYYY-MM" (or a date "YYYY-MM-DD", whose month it is).
    Raises MonthError."""
    text = str(value or "").strip()
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return month_of(date.fromisoformat(text))
    except ValueError:
        raise MonthError("The start month is written YYYY-MM, e.g. 2027-01.") from None


def months_covered(per_month: Decimal, supplied: Decimal) -> int:
    """Whole months *supplied* (received plus pledged, not yet received)
    covers at *per_month* a month, at most ``MAX_MONTHS``. Nothing is
    covered by nothing."""
    if per_month <= 0 or supplied <= 0:
        return 0
    if supplied >= per_month * MAX_MONTHS:
        return MAX_MONTHS
    return int(supplied // per_month)


def open_month(start: date, per_month: Decimal, supplied: Decimal) -> date:
    """The month the need is open in: the first month from *start* that
    what was supplied does not cover."""
    return add_months(start, months_covered(per_month, supplied))


def covered_through(start: date, per_month: Decimal, supplied: Decimal) -> date | None:
    """The last month covered in full, or None while the start month is not."""
    covered = months_covered(per_month, supplied)
    return add_months(start, covered - 1) if covered else None


def due_month(start: date, today: date) -> date:
    """The month being supplied now: today's, or the start month while it
    is still to come (members may pledge ahead of it)."""
    return max(start, month_of(today))


def is_open_in(closed: bool, start: date, first_uncovered: date, today: date) -> bool:
    """Whether a recurring need is open *today*: not closed, and the month
    it is open in has come (or is its start month, to be covered ahead)."""
    return not closed and first_uncovered <= due_month(start, today)


def needed_through(start: date, per_month: Decimal, month: date) -> Decimal:
    """What the months from *start* through *month* need together."""
    return per_month * (max(months_between(start, month), 0) + 1)


def still_needed_in(start: date, per_month: Decimal, supplied: Decimal,
                    today: date) -> Decimal:
    """What is still needed to cover every month through the one being
    supplied now (the months behind included): never below zero."""
    return max(needed_through(start, per_month, due_month(start, today)) - supplied,
               Decimal(0))


def months_ahead(start: date, per_month: Decimal, supplied: Decimal, today: date) -> int:
    """How many months after this month are covered already: 0 when this
    month is the last covered, negative when months are behind (this
    month not covered: -1, the month before not either: -2, ...)."""
    return months_between(month_of(today), open_month(start, per_month, supplied)) - 1


def coverage_words(start: date, per_month: Decimal, supplied: Decimal, today: date) -> str:
    """What pages say of a recurring need's cover: "covered through March
    2027 (2 months ahead)", "covered through this month", "covered through
    October 2026 (2 months behind)", or "not covered yet"."""
    through = covered_through(start, per_month, supplied)
    if through is None:
        return f"not covered yet: {month_named(start)} is its first month"
    ahead = months_ahead(start, per_month, supplied, today)
    said = f"covered through {month_named(through)}"
    if ahead == 0:
        return said + " (this month)"
    count = abs(ahead)
    return f"{said} ({count} month{'s' if count != 1 else ''} {'ahead' if ahead > 0 else 'behind'})"
