"""Pieces every web page shares: the home page and the template helpers."""

from flask import Blueprint, current_app, redirect, url_for
from markupsafe import Markup

from commons.forms import ConfirmForm
from commons.markdown import render_markdown
from commons.urls import absolute_url, base_url

bp = Blueprint("web", __name__)


@bp.route("/")
def home():
    return redirect(url_for("projects.index"))


@bp.app_template_filter("markdown")
def markdown_filter(text: str, heading_offset: int = 0) -> Markup:
    return Markup(render_markdown(text, heading_offset, origin=base_url(current_app.config)))


@bp.app_template_filter("datetime")
def datetime_filter(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


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
    return {"confirm_form": lambda: ConfirmForm(formdata=None), "absolute_url": absolute_url}


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
