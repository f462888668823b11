"""Pieces every web page shares: the home page and the template helpers."""

import functools
from datetime import datetime, tzinfo

from flask import (
    Blueprint,
    Response,
    current_app,
    has_request_context,
    render_template,
    request,
)
from flask_login import current_user, login_required
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from commons import avatars, clock, front, times
from commons.extensions import db
from commons.forms import ConfirmForm
from commons.markdown import render_markdown
from commons.urls import absolute_url, base_url, urls_for

bp = Blueprint("web", __name__)
# The context variable holding the ViewerClock of the page being rendered.
VIEWER_CLOCK = "_viewer_clock"


@bp.route("/")
def home():
    """What commons is, live figures, and the ways in."""
    return render_template("home.html", figures=front.figures(db.session, clock.now()))


@bp.route("/glossary")
def glossary():
    """The words commons uses, said plainly; pages link a term to its entry."""
    return render_template("glossary.html")


# Bounded like a proposal's body: a preview never renders more than a form takes.
PREVIEW_MAX = 20000


@bp.post("/preview")
@login_required
def preview():
    """A Markdown field rendered as the page will show it (sanitised by
    ``render_markdown``); forms.js asks for it. CSRF-checked like any POST."""
    text = request.form.get("text", "")
    if len(text) > PREVIEW_MAX:
        return Response(f"<p>Too long to preview: at most {PREVIEW_MAX} characters.</p>",
                        status=413, mimetype="text/html")
    body = render_markdown(text, 2, origin=base_url(current_app.config)) if text.strip() \
        else "<p>Nothing to preview yet.</p>"
    return Response(body, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.app_template_filter("markdown")
def markdown_filter(text: str, heading_offset: int = 0) -> Markup:
    return Markup(render_markdown(text, heading_offset, origin=base_url(current_app.config)))


@bp.app_template_filter("datetime")
def datetime_filter(value) -> str:
    """An exact stamp, "2026-12-01 15:30 CET", in the viewer's zone."""
    return times.exact(value, viewer_zone()) if value else "never"


@bp.app_template_filter("when")
@pass_context
def when_filter(context: Context, value) -> Markup:
    """A moment as "in 2 days" or "3 hours ago", the exact time in the
    viewer's zone as its tooltip, and machine-readable in <time datetime>."""
    if not value:
        return Markup("never")
    kept = context.get(VIEWER_CLOCK)
    zone, now = kept.read() if kept is not None else viewer_clock()
    return Markup(f"{_time_tag(value, zone)}{escape(times.relative(value, now))}</time>")


@functools.lru_cache(maxsize=4096)
def _time_tag(value: datetime, zone: tzinfo | None) -> str:
    """The opening <time> tag of *value* shown in *zone*, which never
    changes: kept, since a history page shows fifty moments and formatting
    the exact time cost more than the rest of each entry."""
    return (f'<time datetime="{escape(times.iso(value))}" '
            f'title="{escape(times.exact(value, zone))}">')


def viewer_clock() -> tuple[tzinfo | None, datetime]:
    """(the viewer's zone, now): what each `when` shows a moment against."""
    return viewer_zone(), clock.now()


class ViewerClock:
    """viewer_clock() for one page, asked at its first `when` and kept for
    the others: fifty lookups of the current user and the clock cost a
    history page more than its fifty times did, and a page without times
    never asks."""

    __slots__ = ("_read",)

    def __init__(self, read: tuple[tzinfo | None, datetime] | None = None):
        self._read = read

    def read(self) -> tuple[tzinfo | None, datetime]:
        if self._read is None:
            self._read = viewer_clock()
        return self._read


def viewer_zone() -> tzinfo | None:
    """The time zone exact times are shown in for this viewer (None: UTC):
    the one a logged-in person chose in their settings."""
    # Outside a request (jobs) there is no viewer. Mails never use this
    # filter's zone: their templates write times out in UTC themselves.
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return times.zone(current_user.time_zone)


@bp.after_app_request
def security_headers(response):
    """Pages never run scripts from elsewhere, never sit in a frame, and
    files are never sniffed into HTML."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self'; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.app_context_processor
def template_helpers():
    # Only its CSRF token is rendered: never bind it to what a request sent.
    return {"confirm_form": lambda: ConfirmForm(formdata=None), "absolute_url": absolute_url,
            VIEWER_CLOCK: ViewerClock()}


# Globals, not context: macros imported without context (the avatar) see them.
bp.add_app_template_global(avatars.initials, "avatar_initials")
bp.add_app_template_global(avatars.tone, "avatar_tone")
bp.add_app_template_global(urls_for, "urls_for")


@bp.app_template_filter("duration")
def duration_filter(seconds: int) -> str:
    """Seconds as people say them: "72 hours", "2 days", "90 minutes"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 and not (unit == "day" and seconds <= 3 * 86400):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds / 3600:.1f} hours"


@bp.app_template_filter("mask_email")
def mask_email_filter(address: str) -> str:
    """"ada@example.org" as "a…@example.org": enough to recognise, not to harvest."""
    local, _, domain = (address or "").partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"
