"""Mail: what people are sent (confirmations, notifications, digests).

A domain calls :func:`send` inside its transaction; the mail is rendered
there (both parts, from ``templates/mail/<name>.txt`` and ``.html``) and the
``mail.deliver`` job sends it once the transaction commits, never if it rolls
back. Sending never happens in a page request: a slow or failing SMTP server
delays a job, which the queue retries with backoff and lists as failed on
/admin/jobs once its retries are spent.

With no ``MAIL_SERVER`` configured (``make run``) each mail is written as a
``.eml`` file to the outbox folder (``MAIL_OUTBOX_DIR``, by default
``instance/outbox``) and its subject logged (README, "Mail")."""

from commons.mail.composing import Message, compose
from commons.mail.sending import absolute_url, init_app, send

__all__ = ["Message", "absolute_url", "compose", "init_app", "send"]
