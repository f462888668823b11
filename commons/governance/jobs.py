"""Governance's jobs: a proposal is decided by the worker at its close,
never inside a page read (README, "Running in production")."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from commons import clock
from commons.extensions import db
from commons.governance import notices, rules, services
from commons.governance.closing import DECIDE, not_before
from commons.governance.models import Proposal
from commons.jobs import job, schedule
from commons.mail.sending import deliver_many

# A job this early was started ahead of its time (a clock a little behind
# the one that scheduled it): it waits for the close again. Earlier than
# that, the window has moved and another job waits for the new close.
EARLY = timedelta(seconds=30)


@job(DECIDE)
def decide(proposal_id: int) -> int:
    """At proposal *proposal_id*'s close: decide whatever is due by now, it
    among them, and carry out what passed. Proposals closing together are
    claimed in batches by the first job that runs, and the jobs that follow
    find theirs decided (1,000 closing in the same second: bench/README.md).
    Nothing if it is not yet due. Returns how many it decided."""
    now = clock.now()
    decided = services.decide_due(db.session, services.Settings.from_config(current_app.config),
                                  now)
    closes_at = db.session.scalar(sa.select(Proposal.closes_at).where(
        Proposal.id == proposal_id, Proposal.status == rules.OPEN))
    if closes_at is not None and now < closes_at <= now + EARLY:
        schedule(DECIDE, not_before(closes_at), proposal_id=proposal_id)
    return len(decided)


@job("governance.sweep", periodic=crontab(minute="*"))
def sweep() -> int:
    """Every minute: decide whatever is due and still open, in case its own
    job was lost (a worker killed mid-run, a queue flushed or restored)."""
    return len(services.decide_due(db.session, services.Settings.from_config(current_app.config),
                                   clock.now()))


@job(notices.SEND)
def send_notices(proposal_id: int, addresses: list[str]) -> None:
    """Mail the notice of proposal *proposal_id* to *addresses*, affected
    people without an account, over one SMTP connection, and mark each
    notice sent once the server took its mail: silence counts from when the
    mail went out, not from when it was queued (docs/DESIGN.md, "Notice
    gates silence"). What the server did not take fails the job, which the
    queue retries; a retry skips the notices sent already."""
    settings = services.Settings.from_config(current_app.config)
    messages = [message for address in addresses
                if (message := notices.notice_mail(db.session, proposal_id, address, settings))]
    db.session.rollback()  # read only: no transaction held while SMTP talks
    unsent = deliver_many(messages)
    now = clock.now()
    for message in messages[:len(messages) - len(unsent)]:
        notices.mark_sent(db.session, proposal_id, message.to, now)
    db.session.commit()
    if unsent:
        raise RuntimeError(f"{len(unsent)} notice mails of proposal {proposal_id} were not "
                           f"taken by the SMTP server (the first to {unsent[0].to})")
