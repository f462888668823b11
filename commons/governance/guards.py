"""Holding a proposal's row, so a change and a decision never cross."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules
from commons.governance.models import Proposal, TimelineEvent
from commons.problems import Conflict


def hold(session: Session, proposal: Proposal, statuses: tuple[str, ...], *,
         open_window_at: datetime | None = None, revision: int | None = None) -> None:
    """Take the proposal's row for this transaction if it is still in one of
    *statuses* at the revision read (and, given *open_window_at*, its window
    is still open then); else Conflict. Deciding claims the row the same way,
    so a change and a decision never cross: whichever comes second sees the
    other's result."""
    if revision is not None and revision != proposal.revision:
        raise Conflict(f"Proposal #{proposal.number} was revised since you read it (it is at "
                       f"revision {proposal.revision}); read it again, then take your stance.")
    condition = [Proposal.id == proposal.id, Proposal.status.in_(statuses),
                 Proposal.revision == proposal.revision]
    if open_window_at is not None:
        condition.append(Proposal.closes_at > open_window_at)
    held = session.execute(sa.update(Proposal).where(*condition)
                           .values(revision=Proposal.revision)
                           .execution_options(synchronize_session=False)).rowcount
    if held != 1:
        # No rollback here: a caller that carries on (a push revising what it
        # can, a closed input withdrawing its proposal) keeps its own work;
        # one that fails hands the Conflict to the view, which rolls back.
        raise Conflict(f"Proposal #{proposal.number} changed meanwhile (it may have been "
                       "decided, revised or withdrawn, or its window has closed). Read it again.")


def withdraw_for(session: Session, proposal: Proposal, why: str, now: datetime,
                 actor: User | None = None) -> None:
    """Withdraw *proposal* because of something that happened elsewhere (a
    deleted branch, a closed input); one decided meanwhile stays decided.
    *actor*: who did it, if someone did (recorded in the timeline)."""
    try:
        hold(session, proposal, (rules.OPEN, rules.BLOCKED))
    except Conflict:
        return  # decided meanwhile
    proposal.status, proposal.decided_at = rules.WITHDRAWN, now
    proposal.events.append(TimelineEvent(at=proposal.decided_at,
                                         actor_id=actor.id if actor else None, text=why))
    session.flush()
