"""Notifications: what a person hears of (a proposal opened where they have
standing, an objection to theirs, a close within a day, a decision, their
pledge's input closed or corrected, a mention, a request to join), recorded
in bulk in the sender's transaction and delivered after it: a mail at once,
a daily digest, or the inbox alone, as the person chose.

Other domains call ``notify_many``; the pages are in ``views``, the
receivers of the domains' signals in ``reactions``, the mail in ``delivery``
and ``jobs``."""

from commons.notifications.recording import notify_many

__all__ = ["notify_many"]
