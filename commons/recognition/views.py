"""The recognition page: the value rule in force and every earlier
version (with the proposal that adopted it), and per person for a month
their confirmed and unconfirmed hours and the arithmetic that gives their
recognition. Public, like the contributors page."""

from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request

from commons import clock
from commons.extensions import db
from commons.ledger.work_rules import WORK_CATEGORIES
from commons.problems import NotFound
from commons.projects import services as projects
from commons.recognition import queries
from commons.recognition.rules import RuleError, figure, parse_period, rule_on

bp = Blueprint("recognition", __name__)

PAGE = 100  # people per page: the arithmetic of 2,000 people is a long page


def _months_around(period: str) -> tuple[str, str]:
    first, following = queries.month_bounds(period)
    previous = (first - timedelta(days=1)).isoformat()[:7]
    return previous, following.isoformat()[:7]


@bp.route("/projects/<slug>/recognition")
def page(slug: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    today = clock.now().date()
    try:
        period = parse_period(request.args.get("period"), today)
    except RuleError as error:
        abort(400, description=str(error))
    start, end = queries.month_bounds(period)
    versions = queries.rule_versions(db.session, project)
    people = queries.recognition_for(db.session, project, start, end, versions=versions)
    pages = max((len(people) + PAGE - 1) // PAGE, 1)
    number = max(request.args.get("page", 1, type=int), 1)
    if number > pages:
        abort(404, description=f"There are {pages} pages of people for {period}.")
    shown = people[(number - 1) * PAGE:number * PAGE]
    previous, following = _months_around(period)
    return render_template(
        "recognition/page.html", project=project, period=period, start=start,
        last_day=end - timedelta(days=1), today=today, in_force=rule_on(versions, today),
        versions=list(reversed(versions)), people=shown, total=len(people), page=number,
        pages=pages, names=queries.usernames(db.session, (p.user_id for p in shown)),
        numbers=queries.proposal_numbers(db.session, versions), categories=WORK_CATEGORIES,
        figure=figure, previous=previous,
        following=following if date.fromisoformat(following + "-01") <= today else None,
        tab="contributors")
