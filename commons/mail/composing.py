"""A mail as plain values: rendered parts and headers, so the job that
delivers it carries everything and reads nothing."""

from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from commons.urls import base_url


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    sender: str
    headers: dict[str, str] = field(default_factory=dict)


def site_domain() -> str:
    """The host of BASE_URL: message ids and the default sender use it."""
    return urlsplit(base_url(current_app.config)).hostname or "localhost"


def thread_id(thread: str) -> str:
    """The Message-ID every mail of *thread* refers to, so mail clients put
    them in one conversation (RFC 5322 References)."""
    return f"<{thread}@{site_domain()}>"


def compose(to: str, subject: str, template: str, context: dict[str, Any] | None = None, *,
            thread: str | None = None, unsubscribe: str | None = None) -> Message:
    """Render ``mail/<template>.txt`` and ``.html`` with *context* (and
    ``subject``, ``unsubscribe``) into a Message to *to*.

    *thread* names a conversation ("proposal-3-12"): each mail of it gets
    its own Message-ID and refers to the thread's. *unsubscribe*, an absolute
    URL that turns this kind of mail off with one POST (RFC 8058), becomes
    the List-Unsubscribe headers."""
    values = {**(context or {}), "subject": subject, "unsubscribe": unsubscribe}
    headers = {"Message-ID": make_msgid(domain=site_domain())}
    if thread:
        headers["References"] = headers["In-Reply-To"] = thread_id(thread)
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or f"commons <noreply@{site_domain()}>"
    return Message(to=to, subject=subject, sender=sender, headers=headers,
                   text=render_template(f"mail/{template}.txt", **values),
                   html=render_template(f"mail/{template}.html", **values))
