"""Confirmed work (issue 20): the worker's own rating of how onerous the
work was, the month a piece of work belongs to, and who may confirm an
entry or withdraw a confirmation. Pure rules over plain values."""

from dataclasses import dataclass
from datetime import date

from commons.ledger.quantity_rules import RuleError

ONEROUS = {1: "light", 2: "heavy", 3: "very heavy"}


def check_onerous(value: object) -> int | None:
    """The worker's rating, 1 to 3, or None when not given (empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip() if isinstance(value, int | str) and \
        not isinstance(value, bool) else ""
    if text not in {"1", "2", "3"}:  # not 0, 4, "x", 2.0 nor true
        raise RuleError("How onerous the work was is 1 (light), 2 (heavy) or 3 (very "
                        "heavy); leave it empty to not rate it.", "onerous")
    return int(text)


def period_of(day: date) -> str:
    """The calendar month ("YYYY-MM") a day of work belongs to: the period
    a distribution shares out and then closes."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class WorkState:
    """What the rules read of a work entry and of the person acting."""

    seq: int
    worker_id: int | None
    confirmed_by_id: int | None
    period: str
    period_closed: bool


def confirm_refusal(work: WorkState, actor_id: int, actor_is_member: bool
                    ) -> tuple[int, str] | None:
    """Why *actor* may not confirm *work*, as (HTTP status, message), or
    None: another member of the project confirms, once, while the work's
    month is open."""
    if not actor_is_member:
        return 403, "Members of the project confirm hours. Join the project first."
    if work.worker_id == actor_id:
        return 409, (f"Entry #{work.seq} is your own work; another member of the project "
                     "confirms it.")
    if work.confirmed_by_id is not None:
        return 409, f"Entry #{work.seq} is confirmed already."
    if work.period_closed:
        return 409, (f"The hours of {work.period} were shared out by a distribution, which "
                     "closed the month; its confirmations stand as they are.")
    return None


def withdraw_refusal(work: WorkState, actor_id: int) -> tuple[int, str] | None:
    """Why *actor* may not withdraw the confirmation of *work*, or None:
    only the person who confirmed it, and only while the month is open."""
    if work.confirmed_by_id is None:
        return 409, f"Entry #{work.seq} is not confirmed; there is nothing to withdraw."
    if work.confirmed_by_id != actor_id:
        return 409, (f"Only the member who confirmed entry #{work.seq} withdraws that "
                     "confirmation.")
    if work.period_closed:
        return 409, (f"The hours of {work.period} were shared out by a distribution, which "
                     "closed the month; the confirmation can no longer be withdrawn.")
    return None
