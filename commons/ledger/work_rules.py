"""Logged work: its categories, the 24 hours a day cap and the days a
person may log hours for themselves. Pure rules over plain values."""

from datetime import date
from decimal import Decimal

from commons.ledger.quantity_rules import RuleError, check_date

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
