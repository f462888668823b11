"""Reminders: a proposal that closes within a day reminds each person with
standing who has taken no stance on its current revision, once per
revision (a periodic job asks; asking again reminds nobody twice)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.governance import rules as governance_rules
from commons.governance.models import Proposal
from commons.governance.queries import members_of
from commons.notifications import rules
from commons.notifications.models import Notification
from commons.notifications.reactions import proposal_path
from commons.notifications.recording import notify_many


def remind_closing(session: Session, now: datetime) -> int:
    """Record a reminder for everyone with standing and no current stance
    on each open proposal closing within ``rules.REMINDER_AHEAD``. Returns
    how many reminders are new. Flushes."""
    proposals = session.scalars(
        sa.select(Proposal).where(Proposal.status == governance_rules.OPEN,
                                  Proposal.closes_at > now,
                                  Proposal.closes_at <= now + rules.REMINDER_AHEAD)
        .options(selectinload(Proposal.stances), selectinload(Proposal.affected),
                 selectinload(Proposal.project))
        .order_by(Proposal.closes_at, Proposal.id)).all()
    members: dict[int, set[int]] = {}
    new = 0
    for proposal in proposals:
        key = f"closing:{proposal.id}:{proposal.revision}"
        if proposal.project_id not in members:
            members[proposal.project_id] = members_of(session, proposal.project_id)
        affected = {p.user_id for p in proposal.affected if p.user_id is not None}
        answered = {s.user_id for s in proposal.stances if s.revision == proposal.revision}
        reminded = set(session.scalars(sa.select(Notification.user_id).where(
            Notification.proposal_id == proposal.id, Notification.key == key)))
        who = (members[proposal.project_id] | affected) - answered - reminded
        if not who:
            continue
        new += notify_many(
            session, proposal.project, who, "closing", proposal=proposal,
            text=f"#{proposal.number} {proposal.title} closes "
                 f"{proposal.closes_at:%Y-%m-%d %H:%M} UTC "
                 f"({rules.time_left(proposal.closes_at, now)}) without your stance",
            url=proposal_path(proposal.project, proposal), now=now,
            affected_ids=frozenset(affected), key=key)
    return new
