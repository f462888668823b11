"""Lazy consensus as pure functions over plain values.

A proposal is open for its review window; silence is assent. At the close,
no standing objection means passed, and any standing objection means
blocked. An escalated proposal is decided by majority instead: more supports
than objections, and at least min(3, members) supports. Only stances taken
on the current revision count: consent is tied to content.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = ("decision", "membership", "merge", "input", "license", "policy", "claim",
         "allocation", "distribution")
STANCES = ("support", "abstain", "object")
OPEN, PASSED, BLOCKED, FAILED, WITHDRAWN = "open", "passed", "blocked", "failed", "withdrawn"
CONSENSUS, MAJORITY = "consensus", "majority"


@dataclass(frozen=True)
class StanceWords:
    """How a stance is said: "withdraw my objection", "bob objects", the
    choice "Object (needs a reason)". A stance's value is a verb's stem
    ("object"), which reads wrongly as a noun, so every page and message
    takes its words from here."""

    noun: str    # "objection": my objection, their objection
    verb: str    # "objects": bob objects
    choice: str  # how the stance form offers it


STANCE_WORDS: dict[str, StanceWords] = {
    "support": StanceWords("support", "supports", "Support"),
    "abstain": StanceWords("abstention", "abstains", "Abstain"),
    "object": StanceWords("objection", "objects", "Object (needs a reason)"),
}


@dataclass(frozen=True)
class ProposalState:
    status: str
    voting: str                 # CONSENSUS or MAJORITY
    closes_at: datetime
    revision: int
    members: int                # how many members the project has
    # Who may take a stance: members and affected parties, by user id, and
    # affected people without an account, by their (lower-case) address.
    standing: frozenset[int | str]


@dataclass(frozen=True)
class StanceValue:
    user_id: int | str   # a user's id, or the address of someone without an account
    stance: str
    revision: int


@dataclass(frozen=True)
class Tally:
    supports: int
    abstentions: int
    objections: int


def tally(proposal: ProposalState, stances: Iterable[StanceValue]) -> Tally:
    """Count the stances that stand: on this revision, by someone with standing."""
    counted = [s for s in stances
               if s.revision == proposal.revision and s.user_id in proposal.standing]
    return Tally(sum(s.stance == "support" for s in counted),
                 sum(s.stance == "abstain" for s in counted),
                 sum(s.stance == "object" for s in counted))


def decide(proposal: ProposalState, stances: Iterable[StanceValue], now: datetime) -> str | None:
    """PASSED or BLOCKED once the window has closed; None while it is open
    (or when the proposal is not open at all)."""
    if proposal.status != OPEN or now < proposal.closes_at:
        return None
    count = tally(proposal, stances)
    if proposal.voting == MAJORITY:
        needed = min(3, proposal.members)
        return PASSED if count.supports > count.objections and count.supports >= needed else BLOCKED
    return PASSED if count.objections == 0 else BLOCKED


def being_carried_out(status: str, closes_at: datetime, now: datetime) -> bool:
    """An open proposal whose window has closed: its decision is being
    carried out (by the worker) and not yet recorded."""
    return status == OPEN and now >= closes_at


def new_window(now: datetime, review_window: int, minimum: int) -> datetime:
    """When a proposal opened or revised at *now* closes: never sooner than
    the minimum window."""
    return now + timedelta(seconds=max(review_window, minimum))


def stance_problem(stance: str, reason: str) -> str | None:
    """Why this stance cannot be taken as given, or None."""
    if stance not in STANCES:
        return "A stance is support, abstain or object."
    if stance == "object" and not reason.strip():
        return ("An objection needs a reason, so the others can address it. "
                "Say what would have to change for you to consent.")
    return None
