"""The ledger's blueprint and what its pages share: loading a project or an
input, who is a member, the journal cursor, a form's status, the figure
filter and the larger body a receipt's evidence file may need. The pages
are in views.py (the ledger and the needs board), input_pages.py and
journal_pages.py."""

from decimal import Decimal

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from commons.extensions import db
from commons.ledger import chart, evidence, services
from commons.problems import NotFound, Problem
from commons.projects import services as projects

bp = Blueprint("ledger", __name__)

PAGE = 50
MAX_INT = 2147483647


@bp.app_template_filter("figure")
def figure_filter(amount, unit: str | None = None) -> str:
    if amount is None or amount == "":
        return ""
    return chart.figure(amount if isinstance(amount, Decimal) else Decimal(str(amount)), unit)


@bp.url_value_preprocessor
def allow_evidence_uploads(endpoint: str | None, values: dict | None) -> None:
    """A receipt may carry an evidence file larger than the site's request
    limit. The limit has to change before anything reads the body, and the
    request guards and the CSRF check read it before any view runs; URL
    value preprocessors run before both."""
    if endpoint not in ("ledger.receipt", "ledger.claim") or request.method != "POST":
        return
    most = int(current_app.config["EVIDENCE_MAX_BYTES"])
    request.max_content_length = most + 64 * 1024  # the file and the form around it
    if request.content_length and request.content_length > request.max_content_length:
        raise RequestEntityTooLarge(evidence.too_large(most) + " Nothing was recorded.")



# ---------------------------------------------------------------- loading

def load_project(slug: str):
    """The project, or 404."""
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    return project


def load_input(project, number: int):
    """The project's input numbered *number*, or 404."""
    try:
        return services.get_input(db.session, project, number)
    except NotFound as problem:
        abort(404, description=problem.message)


def is_member(project) -> bool:
    return current_user.is_authenticated and project.is_member(current_user)


def members_only(project, what: str) -> None:
    if not is_member(project):
        abort(403, description=f"Only members of {project.name} {what}. Join the project on "
                               "its page first, then come back.")


def page_before() -> int | None:
    """The journal cursor ?before=SEQ, if it is a sequence number."""
    before = request.args.get("before", type=int)
    return before if before is not None and 0 < before <= MAX_INT else None


def form_status(form, problem: Problem | None = None) -> int:
    """A page's status after a form: the problem's, 422 for errors, or 200."""
    if problem is not None:
        return problem.status
    return 422 if form.errors or form.form_errors else 200
