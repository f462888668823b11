"""Notification jobs: the mails of notices sent at once (enqueued after
the commit that recorded them), the daily digest, and the reminders of
proposals closing within a day. Each is idempotent: it claims what it
sends, and a second run finds nothing left."""

import logging

from flask import current_app
from huey import crontab

from commons import clock
from commons.extensions import db
from commons.jobs import job
from commons.notifications import delivery, reminders
from commons.notifications.recording import DELIVER

log = logging.getLogger(__name__)


def _settings() -> delivery.Settings:
    return delivery.Settings.from_config(current_app.config)


@job(DELIVER)
def deliver(ids: list[int]) -> int:
    """Queue the mails of the notices *ids* (those still undelivered)."""
    sent = delivery.deliver(db.session, list(ids), _settings(), clock.now())
    db.session.commit()
    return sent


@job("notifications.digest", periodic=crontab(hour="6", minute="0"))
def digest() -> int:
    """Every day at 06:00 UTC: one mail per person with the notices waiting
    for their digest. Each person's is its own transaction, so one that
    fails keeps nobody else's from going out."""
    settings, now, sent = _settings(), clock.now(), 0
    for user_id in delivery.digest_recipients(db.session, now):
        try:
            sent += bool(delivery.send_digest(db.session, user_id, settings, now))
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("the digest of user %d failed; the others go on", user_id)
    return sent


@job("notifications.remind", periodic=crontab(minute="*/15"))
def remind() -> int:
    """Every 15 minutes: remind who has no stance on a proposal closing
    within a day (once per revision)."""
    new = reminders.remind_closing(db.session, clock.now())
    db.session.commit()
    return new
