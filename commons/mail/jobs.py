"""The mail domain's one job: deliver a rendered mail."""

from dataclasses import asdict
from typing import Any

from commons.jobs import enqueue, job
from commons.mail.composing import Message
from commons.mail.sending import deliver, deliver_many


@job("mail.deliver")
def deliver_mail(message: dict[str, Any]) -> None:
    """Send one mail (its parts and headers were rendered when it was
    queued). Retried with backoff when the server fails; a retry after a
    send the server took but did not acknowledge can deliver it twice, which
    is what SMTP itself does."""
    deliver(Message(**message))


@job("mail.deliver_batch", retries=0)
def deliver_batch(messages: list[dict[str, Any]]) -> None:
    """Send the mails one transaction queued, over one connection. Those
    the server did not take go on as ``mail.deliver`` jobs of their own, with
    retries, so no mail of the batch is sent twice by a retry of it."""
    for message in deliver_many([Message(**message) for message in messages]):
        enqueue("mail.deliver", message=asdict(message))
