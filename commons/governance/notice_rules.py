"""Notice gates silence, as pure functions over plain values.

Silence is assent only from people who were told. A proposal cannot pass
by silence until notice to every party it could reach was sent and the
project's review window has run since the last of those notices. A party
nobody could reach (no deliverable address, opted out, rate-limited) is
recorded with the reason and gates nothing: waiting for them would let
one unreachable address stall every decision.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

READY, WAITING, LATER = "ready", "waiting", "later"


@dataclass(frozen=True)
class NoticeValue:
    sent_at: datetime | None   # None: not sent yet
    deliverable: bool          # False: recorded as undeliverable, with its reason


@dataclass(frozen=True)
class Gate:
    """What notice allows at *now*: READY (silence may count), LATER (all
    sent, but the window since the last notice runs until *closes_at*), or
    WAITING (*pending* notices not sent yet; at the earliest it could close
    at *closes_at*, were they sent now)."""

    state: str
    closes_at: datetime | None = None
    pending: int = 0


def gate(notices: Iterable[NoticeValue], review_window: timedelta, now: datetime) -> Gate:
    """Whether silence may count at *now*, given each party's notice."""
    deliverable = [n for n in notices if n.deliverable]
    pending = sum(n.sent_at is None for n in deliverable)
    if pending:
        return Gate(WAITING, now + review_window, pending)
    last = max((n.sent_at for n in deliverable if n.sent_at is not None), default=None)
    if last is not None and now < last + review_window:
        return Gate(LATER, last + review_window)
    return Gate(READY)


def postponed_because(result: Gate) -> str:
    """The timeline's words for a close moved by notice."""
    assert result.closes_at is not None
    when = f"{result.closes_at:%Y-%m-%d %H:%M} UTC"
    if result.state == WAITING:
        people = "person" if result.pending == 1 else "people"
        return (f"Silence cannot count yet: waiting for notice to {result.pending} {people}. "
                f"It closes no sooner than one review window after the last notice is sent "
                f"(looked at again {when}).")
    return (f"Silence counts only once everyone it could reach was told and the review window "
            f"has run since: the last notice went out late, so it now closes {when}.")


def rate_limited(mailed_today: int, limit: int) -> bool:
    """Whether one more notice mail to an address would pass its daily limit."""
    return mailed_today >= limit
