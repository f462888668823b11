"""Handing mail to the queue, and the one place that delivers it: by SMTP
(Flask-Mailman) or, with no server configured, into the outbox folder."""

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives, Mail
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from commons import jobs, urls
from commons.mail.composing import Message, compose

log = logging.getLogger(__name__)
mailman = Mail()


def init_app(app: Flask) -> None:
    if not app.config.get("MAIL_OUTBOX_DIR"):
        app.config["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
    # Flask-Mailman keeps a testing app's mail in memory; ours always goes
    # to a real server (the suite runs one), or to the outbox folder.
    app.config["MAIL_BACKEND"] = "smtp"
    mailman.init_app(app)


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for a mail, at the site's public address (BASE_URL), from a
    page request or from a job alike."""
    return urls.absolute_url(endpoint, **values)


# Mails sent in one transaction go out in jobs of this many, each over one
# SMTP connection: a proposal that tells 2,500 people queues 50 jobs, not
# 2,500, and several workers share them.
BATCH = 50
_BATCH_KEY = "commons.mail.batch"


def send(session: Session, to: str, subject: str, template: str,
         context: dict[str, Any] | None = None, *, thread: str | None = None,
         unsubscribe: str | None = None) -> Message:
    """Render a mail now and deliver it once *session* commits (never if it
    rolls back; outside a transaction, at once). See
    :func:`commons.mail.compose` for the arguments."""
    message = compose(to, subject, template, context, thread=thread, unsubscribe=unsubscribe)
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        jobs.enqueue("mail.deliver_batch", messages=[asdict(message)])
        return message
    batch = session.info.get(_BATCH_KEY)
    if batch is None or len(batch) >= BATCH:
        # The job takes the list itself: mails added to it until the commit
        # go with it, and a rollback drops the job and the list together.
        batch = session.info[_BATCH_KEY] = []
        jobs.enqueue_after_commit(session, "mail.deliver_batch", messages=batch)
    batch.append(asdict(message))
    return message


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _end_batch(session: Session, *_: Any) -> None:
    session.info.pop(_BATCH_KEY, None)


def deliver(message: Message) -> None:
    """Send *message* by SMTP, or write it to the outbox when no server is
    configured. Raises when the server refuses or cannot be reached, so the
    job is tried again later."""
    if deliver_many([message]):
        raise RuntimeError(f"the SMTP server did not take the mail to {message.to}")


def deliver_many(messages: list[Message]) -> list[Message]:
    """Send *messages* over one SMTP connection (or into the outbox). Returns
    those not sent: from the first the server refused or could not take on,
    each of them and every one after it. Logs why."""
    if not current_app.config.get("MAIL_SERVER"):
        for message in messages:
            _write_to_outbox(_email(message), message)
        return []
    done = 0
    try:
        with mailman.get_connection(fail_silently=False) as connection:
            for message in messages:
                if connection.send_messages([_email(message)]) != 1:
                    raise RuntimeError("the SMTP server did not take it")
                done += 1
    except Exception:
        # A refusal may have broken the connection: what is left goes on
        # separately, each with the queue's retries.
        log.exception("mail to %s not sent (%d of %d sent before it)",
                      messages[done].to, done, len(messages))
    return messages[done:]


def _email(message: Message) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(subject=message.subject, body=message.text,
                                  from_email=message.sender, to=[message.to],
                                  headers=dict(message.headers))
    mail.attach_alternative(message.html, "text/html")
    return mail


def _write_to_outbox(mail: EmailMultiAlternatives, message: Message) -> None:
    outbox = Path(current_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    # The Message-ID is unique: one file per mail, never overwritten.
    name = message.headers["Message-ID"].strip("<>").replace("/", "_") + ".eml"
    partial = outbox / f".{name}.partial"
    partial.write_bytes(mail.message().as_bytes())
    partial.rename(outbox / name)  # whole or not at all, for whoever reads the folder
    log.info("mail to %s written to %s: %s", message.to, outbox / name, message.subject)
