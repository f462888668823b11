"""A history page's rows (one per commit), kept per worker by everything
they show, so a repeat view costs fifty relative times ("3 hours ago")
instead of fifty rendered rows.

What a row shows is its commit's (an id names the same commit forever),
the links' prefix, the viewer's time zone (the exact time as a tooltip) and
the commit's time relative to now. The relative times are worked out first
and are part of the key: a kept list is never stale, since once an
"hours ago" moves on, the key is another (the old one ages out). A branch
that moved shows other commits, so other ids: a key never holds a branch
name."""

from collections import OrderedDict
from threading import Lock

from flask import current_app, render_template, url_for
from markupsafe import Markup

from commons import times
from commons.git.reading import LogEntry
from commons.web import VIEWER_CLOCK, ViewerClock, viewer_clock

EXTENSION = "commons.git.history_rows"
# About 15 KB of HTML per page of fifty; a page of longer subjects or names
# than that allows is rendered each time: 8 MB per worker at most.
KEPT_PAGES = 128
KEPT_PAGE_CHARACTERS = 64 * 1024


class Kept:
    """The most recently used lists of rows, safe across threads."""

    def __init__(self, size: int):
        self.size, self.values, self.lock = size, OrderedDict[tuple, Markup](), Lock()

    def get(self, key: tuple) -> Markup | None:
        with self.lock:
            found = self.values.get(key)
            if found is not None:
                self.values.move_to_end(key)
            return found

    def put(self, key: tuple, value: Markup) -> None:
        with self.lock:
            self.values[key] = value
            while len(self.values) > self.size:
                self.values.popitem(last=False)


def rows(slug: str, entries: list[LogEntry]) -> Markup:
    """The ``<li>`` of each of *entries* (commits of project *slug*) as
    git/_history_rows.html renders them."""
    if not entries:
        return Markup()
    commit_url = _commit_url_prefix(slug)   # the links' prefix: the slug and the site's root
    zone, now = viewer_clock()
    key = (commit_url, zone,
           tuple((entry.sha, times.relative(entry.authored_at, now)) for entry in entries))
    # Kept per app: each has its own templates (the tests make many apps).
    kept = current_app.extensions.get(EXTENSION) or \
        current_app.extensions.setdefault(EXTENSION, Kept(KEPT_PAGES))
    found = kept.get(key)
    if found is None:
        # Rendered against the same clock the key was made with.
        same_clock = {VIEWER_CLOCK: ViewerClock((zone, now))}
        found = Markup(render_template("git/_history_rows.html", slug=slug, entries=entries,
                                       commit_url=commit_url, **same_clock))
        if len(found) <= KEPT_PAGE_CHARACTERS:
            kept.put(key, found)
    return found


def _commit_url_prefix(slug: str) -> str:
    """The commit page's URL up to the commit id. A page links fifty
    commits; one url_for each cost more than the rest of a row, and an id
    (hex) is put in a URL as it is."""
    placeholder = "0" * 40
    return url_for("browse.commit", slug=slug, sha=placeholder).removesuffix(placeholder)
