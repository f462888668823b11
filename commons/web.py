"""Pieces every web page shares: the home page and the template helpers."""

from flask import Blueprint, redirect, url_for
from markupsafe import Markup

from commons.forms import ConfirmForm
from commons.markdown import render_markdown

bp = Blueprint("web", __name__)


@bp.route("/")
def home():
    return redirect(url_for("projects.index"))


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return Markup(render_markdown(text))


@bp.app_template_filter("datetime")
def datetime_filter(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@bp.app_context_processor
def template_helpers():
    return {"confirm_form": ConfirmForm}
