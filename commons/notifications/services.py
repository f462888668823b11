"""Notification use cases, the domain's front door for pages, the API and
other domains. Session first; these flush, never commit."""

from commons.notifications.preferences import (
    Preferences,
    mute,
    preferences,
    projects_of,
    set_level,
    set_mode,
)
from commons.notifications.reading import listing, mark_all_read, mark_read, unread_count
from commons.notifications.recording import notify_many

__all__ = ["Preferences", "listing", "mark_all_read", "mark_read", "mute", "notify_many",
           "preferences", "projects_of", "set_level", "set_mode", "unread_count"]
