"""Contributor pages: a project's contributors (sortable, all time or the
last 90 days), the division of labour, credits, the exports, and a
person's profile across projects."""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from commons import clock, generations
from commons.accounts import services as accounts
from commons.contributions import chart, exports, rules, services
from commons.contributions.forms import CreditForm
from commons.extensions import db
from commons.forms import ConfirmForm, attempt, form_page_on_get, press_button
from commons.git.repositories import repository_path
from commons.ledger import services as ledger
from commons.ledger.rules import WORK_CATEGORIES
from commons.problems import Invalid, NotFound, Problem
from commons.projects import services as projects
from commons.recognition import queries as recognition
from commons.recognition.rules import PersonRecognition, figure
from commons.rotas import services as rotas
from commons.rotas.forms import RotaForm
from commons.urls import base_url

bp = Blueprint("contributions", __name__)

PAGE = 100


def _project(slug: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    return project


def _path(project) -> Path:
    return repository_path(current_app.config["REPOS_DIR"], project.slug)


def _period() -> str:
    period = request.args.get("period", "all")
    if period not in rules.PERIODS:
        abort(400, description="period is all (every contribution) or 90d (the last 90 "
                               "days); for example ?period=90d.")
    return period


def records_for(project, period: str, today: date | None = None) -> list[rules.Record]:
    return services.project_records(db.session, project, _path(project), period,
                                    today or clock.now().date())


def recognition_by_user(project, period: str, records: list[rules.Record],
                        today: date | None = None) -> dict[str, PersonRecognition]:
    """The recognition of the people on the page for its period, by record
    key ("user:<id>"): one aggregate query over their work logs only
    (commons.recognition.queries)."""
    ids = [int(record.key[5:]) for record in records if record.key.startswith("user:")]
    if not ids:
        return {}
    today = today or clock.now().date()
    start = rules.period_start(period, today) or date.min
    people = recognition.recognition_for(db.session, project, start, today + timedelta(days=1),
                                         user_ids=ids)
    return {f"user:{person.user_id}": person for person in people}


def _is_member(project) -> bool:
    return current_user.is_authenticated and project.is_member(current_user)


@bp.route("/projects/<slug>/contributors")
def contributors(slug: str):
    project = _project(slug)
    return _contributors_page(project, CreditForm(formdata=None), None)


def _contributors_page(project, form: CreditForm, problem: Problem | None):
    period = _period()
    sort = request.args.get("sort", "name")
    order = request.args.get("order", "asc" if sort == "name" else "desc")
    if sort not in rules.SORTS or order not in ("asc", "desc"):
        abort(400, description=f"sort is one of {', '.join(rules.SORTS)}, and order is asc "
                               "or desc; for example ?sort=hours&order=desc.")
    page = max(request.args.get("page", 1, type=int), 1)
    figures = _figures(project, period, sort, order, page)  # a page past the last: 404
    if form.date.data is None:
        form.date.data = clock.now().date().isoformat()
    status = 200 if problem is None else problem.status
    return render_template(
        "contributions/contributors.html", project=project, period=period, sort=sort,
        order=order, page=page, pages=figures.pages, total=figures.total,
        records=figures.shown, categories=WORK_CATEGORIES,
        kinds=rules.KINDS, amounts=rules.amounts_text, form=form, member=_is_member(project),
        credits=services.list_credits(db.session, project, limit=20),
        confirm=ConfirmForm(), tab="contributors", activity=figures.activity,
        period_endpoint="contributions.contributors",
        recognised=figures.recognised, figure=figure), status


class Figures(NamedTuple):
    """What the contributors page shows that depends on the data alone,
    not on who looks: kept between views (``_figures``)."""

    total: int
    pages: int
    shown: list[rules.Record]
    activity: chart.Activity
    recognised: dict[str, PersonRecognition]


# Raised whenever Figures or what it holds changes shape, so an instance
# running new code never reads what older code kept.
FIGURES_VERSION = 1


def _figures(project, period: str, sort: str, order: str, page: int) -> Figures:
    """The page's figures, computed (13 queries on a big project: records,
    monthly activity, recognition) or, when the data did not change since
    (the same generation, commons.generations) on the same day, looked up
    in the rendering cache."""
    today = clock.now().date()

    def compute() -> Figures:
        records = rules.ordered(records_for(project, period, today), sort, order == "desc")
        pages = max((len(records) + PAGE - 1) // PAGE, 1)
        if page > pages:  # refused before anything is kept: ?page= cannot fill the cache
            abort(404, description=f"There are {pages} pages of contributors.")
        shown = records[(page - 1) * PAGE:page * PAGE]
        months, commits, hours, stances = services.activity(db.session, project, today)
        activity = chart.activity(months, [series for series in [
            ("Commits", "commits", "#0969da", [Decimal(n) for n in commits]),
            ("Hours of work", "h", "#9a6700", hours),
            ("Stances taken", "stances", "#57606a", [Decimal(n) for n in stances]),
        ] if any(series[3])])  # only what happened: an empty band says nothing
        return Figures(len(records), pages, shown, activity,
                       recognition_by_user(project, period, shown, today))

    return generations.kept(f"contributors:{FIGURES_VERSION}:{project.id}:{period}:{sort}:"
                            f"{order}:{page}:{today.isoformat()}", compute)


@bp.route("/projects/<slug>/contributors/credits", methods=["GET", "POST"])
@form_page_on_get("contributions.contributors", "#credits")
def add_credit(slug: str):
    project = _project(slug)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    form = CreditForm()
    problem = None
    if form.validate_on_submit():
        done = attempt(lambda: services.credit(
            db.session, project, current_user, form.username.data, form.kind.data,
            form.evidence_url.data, form.note.data, form.date.data, now=clock.now()),
            show_on=form)
        problem = done.problem
        if done.ok:
            credit = done.result
            flash(f"Credited {credit.user.username} with {rules.KINDS[credit.kind].lower()}.",
                  "success")
            return redirect(url_for("contributions.contributors", slug=slug) + "#credits")
    else:
        problem = Invalid("Check the fields marked below.")
    return _contributors_page(project, form, problem)


@bp.post("/projects/<slug>/contributors/credits/<int(max=2147483647):credit_id>/delete")
def remove_credit(slug: str, credit_id: int):
    project = _project(slug)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    press_button(lambda: services.remove_credit(db.session, project, current_user, credit_id),
                 lambda credit: f"Removed the {rules.KINDS[credit.kind].lower()} credit of "
                                f"{credit.user.username}.")
    return redirect(url_for("contributions.contributors", slug=slug) + "#credits")


@bp.route("/projects/<slug>/contributors/labour")
def labour(slug: str):
    project = _project(slug)
    period = _period()
    records = services.labour(records_for(project, period))
    people = [(record.name, record.hours) for record in records]
    # Hours another member confirmed, and the rest (issue 20), per person.
    confirmed = {record.name: (record.total_confirmed, record.total_unconfirmed)
                 for record in records}
    categories = list(WORK_CATEGORIES)
    busiest = rotas.busiest_by_month(db.session, project, clock.now().date())
    return render_template(
        "contributions/labour.html", project=project, period=period, people=people,
        confirmed=confirmed,
        chart=chart.layout(people, categories), shares=chart.shares(people, categories),
        categories=WORK_CATEGORIES, colours=chart.COLOURS, tab="contributors",
        period_endpoint="contributions.labour", busiest=busiest,
        busiest_chart=chart.busiest_lines(busiest.months, busiest.shares),
        rotas=rotas.list_rotas(db.session, project), member=_is_member(project),
        rota_form=RotaForm(formdata=None))


# ---------------------------------------------------------------- exports

def _download(body: str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/projects/<slug>/contributors.csv")
def contributors_csv(slug: str):
    project = _project(slug)
    records = rules.ordered(records_for(project, _period()), "name", False)
    return _download(exports.records_csv(records), "text/csv",
                     f"{project.slug}-contributors.csv")


@bp.route("/projects/<slug>/contributors.json")
def contributors_json(slug: str):
    project = _project(slug)
    period = _period()
    records = rules.ordered(records_for(project, period), "name", False)
    body = json.dumps({"project": project.slug, "period": period,
                       "contributors": [exports.record_json(record) for record in records]},
                      ensure_ascii=False, indent=1)
    return _download(body + "\n", "application/json", f"{project.slug}-contributors.json")


@bp.route("/projects/<slug>/CONTRIBUTORS.md")
def contributors_markdown(slug: str):
    project = _project(slug)
    body = rules.contributors_markdown(project.name, records_for(project, "all"),
                                       base_url(current_app.config), WORK_CATEGORIES)
    return _download(body, "text/markdown", "CONTRIBUTORS.md")


# ---------------------------------------------------------------- people

@bp.route("/users/<username>")
def profile(username: str):
    user = accounts.find_user(db.session, username)
    if user is None:
        abort(404, description=f"No account is called {username!r}.")
    period = _period()
    found = services.profile(db.session, user, Path(current_app.config["REPOS_DIR"]), period,
                             clock.now().date())
    return render_template("contributions/profile.html", person=user, period=period,
                           found=found, categories=WORK_CATEGORIES, kinds=rules.KINDS,
                           amounts=rules.amounts_text, period_endpoint="contributions.profile",
                           claims=ledger.owed_and_paid(db.session, user),
                           own=current_user.is_authenticated and current_user.id == user.id)
