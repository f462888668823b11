"""Stances from affected people without an account, taken through the
signed link of their notice mail. They count like a member's: an objection
blocks at the close."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.governance import rules
from commons.governance.guards import hold
from commons.governance.models import OutsideStance, Proposal, TimelineEvent
from commons.governance.queries import outside_address
from commons.governance.stances import checked_reason
from commons.problems import Conflict, Forbidden


def outside_party_name(proposal: Proposal, address: str) -> str | None:
    """The name *address* is affected by *proposal* under, if it is an
    affected party without an account; else None."""
    return next((party.name for party in proposal.affected
                 if party.user_id is None and outside_address(party.email) == address), None)


def take_outside_stance(session: Session, proposal: Proposal, address: str, stance: str,
                        reason: str, now: datetime, revision: int | None = None
                        ) -> OutsideStance:
    """Take or change the stance of *address* (read from a genuine link) on
    the current revision (*revision*: the one they read), while the window
    is open. Flushes."""
    if proposal.status != rules.OPEN or now >= proposal.closes_at:
        state = proposal.status if proposal.status != rules.OPEN else "closed"
        raise Conflict(f"Proposal #{proposal.number} is {state}; stances were taken while it "
                       "was open, so yours was not recorded.")
    name = outside_party_name(proposal, address)
    if name is None:
        raise Forbidden("This proposal no longer affects your commits (it was revised), so "
                        "your stance would not count; nothing was recorded.")
    reason = checked_reason(stance, reason)
    hold(session, proposal, (rules.OPEN,), open_window_at=now, revision=revision)
    current = session.scalar(sa.select(OutsideStance).where(
        OutsideStance.proposal_id == proposal.id, OutsideStance.email == address))
    if current is None:
        current = OutsideStance(proposal_id=proposal.id, email=address)
        proposal.outside_stances.append(current)
    current.name, current.stance, current.reason = name[:255], stance, reason
    current.revision, current.taken_at = proposal.revision, now
    verb = rules.STANCE_WORDS[stance].verb
    proposal.events.append(TimelineEvent(at=now, text=(
        f"{name} (no account) {verb}" + (f": {reason}" if reason else "."))))
    session.flush()
    return current
