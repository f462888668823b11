"""A proposal is decided at its close: whenever a window opens or moves
(opening, a revision, a vote), a job is scheduled for its new close, once
the change commits. A job that finds the proposal not yet due (its window
moved again since) does nothing; the one scheduled for the new close
decides it, and the minute's sweep (``governance.jobs``) catches any a
dead worker or a flushed queue dropped."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from commons.governance.models import Proposal
from commons.jobs import schedule_after_commit

DECIDE = "governance.decide"


def decide_at_close(session: Session, proposal: Proposal) -> None:
    """Schedule deciding *proposal* at its ``closes_at`` once *session*
    commits (flushed first: the job needs its id)."""
    if proposal.id is None:
        session.flush()
    schedule_after_commit(session, DECIDE, not_before(proposal.closes_at),
                          proposal_id=proposal.id)


def not_before(moment: datetime) -> datetime:
    """*moment* rounded up to the whole second: huey keeps a job's time in
    whole seconds and may start it up to a second early, before the window
    has closed, when it would find nothing to decide."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
