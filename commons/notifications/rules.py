"""Pure rules for notifications: how a notice reaches a person, who is
mentioned in a text, and how long is left. No flask, no database."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

# A person's mail mode. "default": at once for what touches them (a
# proposal that affects them, an objection to theirs, a mention, their
# pledge), the rest in the daily digest.
MODES = ("default", "immediately", "digest", "none")
MODE_LABELS = {
    "default": "At once for what affects me, the rest in a daily digest",
    "immediately": "At once, one mail each",
    "digest": "One daily digest",
    "none": "No mail (the inbox only)",
}
# Per project: "watch" mails everything at once, "ignore" mails nothing.
LEVELS = ("watch", "default", "ignore")

MAIL, DIGEST, INBOX = "mail", "digest", "inbox"
CHANNELS = (MAIL, DIGEST, INBOX)


@dataclass(frozen=True)
class Event:
    name: str
    label: str  # "mails about ...", on the unsubscribe page and in settings


EVENTS = {event.name: event for event in (
    Event("proposal_opened", "new proposals"),
    Event("objection", "objections to your proposals"),
    Event("closing", "proposals closing within a day without your stance"),
    Event("decided", "decisions on proposals you had standing on"),
    Event("pledge", "inputs you pledged to that were closed or corrected"),
    Event("mention", "comments that mention you"),
    Event("membership", "requests to join your projects"),
)}

# Events that are about the person themself: at once by default.
PERSONAL = frozenset({"objection", "mention", "pledge"})

REMINDER_AHEAD = timedelta(hours=24)

# A username as commons/accounts/rules.py allows it, after an @ that does
# not continue a word or an address (ada@example.org mentions nobody).
_MENTION = re.compile(r"(?<![\w@.+-])@([a-z0-9](?:[a-z0-9-]{0,37}[a-z0-9])?)(?![\w-])",
                      re.IGNORECASE)


def channel(mode: str, level: str, muted: frozenset[str] | set[str], event: str,
            affected: bool) -> str:
    """How a notice of *event* reaches a person whose mail mode is *mode*,
    who set *level* for the project and turned off the kinds in *muted*;
    *affected*: the proposal affects them. A kind in *muted* (an event,
    or "digest") came from an unsubscribe link."""
    if level == "ignore" or mode == "none" or event in muted:
        return INBOX
    if mode == "immediately" or level == "watch":
        return MAIL
    if mode != "digest" and (affected or event in PERSONAL):
        return MAIL
    # The digest's own unsubscribe link turns the digest off.
    return INBOX if DIGEST in muted else DIGEST


def mentioned(text: str) -> list[str]:
    """The usernames *text* mentions as ``@name``, lowercased, each once,
    in order. Whether they name anyone is for the caller to find out."""
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def time_left(closes_at: datetime, now: datetime) -> str:
    """"3 h 20 min left", "2 days left", or "closed"."""
    left = closes_at - now
    if left <= timedelta(0):
        return "closed"
    if left >= timedelta(days=2):
        return f"{left.days} days left"
    hours, rest = divmod(int(left.total_seconds()), 3600)
    minutes = rest // 60
    if hours == 0:
        return f"{max(minutes, 1)} min left"
    return f"{hours} h {minutes} min left"
