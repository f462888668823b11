"""Distribution pages (issue 20): proposing one (period, amount, currency,
with a preview of each person's amount before anything is opened) and the
project's distributions with the payout status of each share."""

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.fields import SelectField
from wtforms.validators import Length, Optional

from commons import clock
from commons.extensions import db
from commons.forms import attempt, currency_choices, show_problem
from commons.governance.settings import Settings
from commons.problems import NotFound, Problem
from commons.projects import services as projects
from commons.recognition import distribution_rules, distributions
from commons.recognition.proposing import propose_distribution

bp = Blueprint("distributions", __name__)


class DistributionForm(FlaskForm):
    """What to share: a month, an amount and its currency."""

    period = StringField("Month", validators=[Length(max=7)],
                         description="The month whose confirmed work is shared, YYYY-MM.")
    amount = StringField("Amount", validators=[Length(max=40)],
                         description="e.g. 300.00; at most what is available below.")
    currency = SelectField("Currency", choices=currency_choices, validate_choice=False,
                           validators=[Length(max=3)])
    title = StringField("Title", validators=[Optional(), Length(max=200)],
                        description="Optional; a title is written for you.")
    show = SubmitField("Preview the shares")
    propose = SubmitField("Propose this distribution")


def _project(slug: str):
    try:
        return projects.get_project(db.session, slug)
    except NotFound as problem:
        abort(404, description=problem.message)


@bp.route("/projects/<slug>/distributions", endpoint="index")
def index(slug: str):
    project = _project(slug)
    return render_template(
        "recognition/distributions.html", project=project,
        member=current_user.is_authenticated and project.is_member(current_user),
        distributions=distributions.list_distributions(db.session, project),
        available=distributions.funds_overview(db.session, project))


@bp.route("/projects/<slug>/distributions/new", methods=["GET", "POST"], endpoint="new")
@login_required
def new(slug: str):
    project = _project(slug)
    if not project.is_member(current_user):
        abort(403, description=f"Only members of {project.name} propose a distribution. "
                               "Join it first.")
    form = DistributionForm()
    if not form.is_submitted():
        form.currency.data = form.currency.data or "EUR"
    shown, status = None, 200
    if form.validate_on_submit():
        now = clock.now()
        if form.propose.data:
            done = attempt(lambda: propose_distribution(
                db.session, project, current_user, form.period.data, form.amount.data,
                form.currency.data, Settings.from_config(current_app.config), now,
                title=form.title.data or ""), show_on=form)
            if done.ok:
                flash(f"Proposal #{done.result.number} asks the members to share "
                      f"{done.result.details['amount']} {done.result.details['currency']} for "
                      f"{done.result.details['period']}.", "success")
                return redirect(url_for("governance.show", slug=slug,
                                        number=done.result.number))
            status = 409 if done.problem and done.problem.status == 409 else 422
        else:
            try:
                shown = distributions.preview(db.session, project, form.period.data,
                                              form.amount.data, form.currency.data, now)
            except Problem as problem:
                show_problem(form, problem)
                status = 422
            db.session.rollback()  # a preview writes nothing
    elif form.is_submitted():
        status = 422
    return render_template("recognition/new.html", project=project, form=form, preview=shown,
                           available=distributions.funds_overview(db.session, project)), status


@bp.app_template_global("distribution_rows")
def distribution_rows(details: dict) -> list[dict]:
    """Each share of a distribution's details with the arithmetic that
    makes it: recognition ÷ everyone's × the amount, and the rounding."""
    amount = Decimal(details["amount"])
    total = Decimal(details.get("total_recognition") or sum(
        (Decimal(share["recognition"]) for share in details["shares"]), Decimal(0)))
    return [{**share, "exact": distribution_rules.exact_part(
        amount, Decimal(share["recognition"]), total)} for share in details["shares"]]
