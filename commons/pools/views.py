"""The pool pages: the list and offering a pool (/pools), a pool with its
rounds and history and the steward's forms (/pools/<id>), and a round
(/pools/<id>/rounds/<n>) with its requests per iteration, the chart of
requested against available, the allocation and the form a project's
members file, revise and withdraw its request with.

Thin: parse, call a service, render or redirect. Who may act is checked
here before the service runs (stewards change a pool, members of an
eligible project file its request) and again by the services."""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup

from commons import clock, paging
from commons.extensions import db
from commons.forms import ConfirmForm, attempt, form_page_on_get
from commons.ledger import recurring
from commons.ledger import services as ledger
from commons.ledger.chart import figure
from commons.markdown import render_markdown
from commons.pools import chart, reading, services
from commons.pools.forms import (
    MAX_ITERATIONS,
    AvailabilityForm,
    ClosePoolForm,
    PoolForm,
    RequestForm,
    RoundForm,
    WithdrawForm,
)
from commons.problems import Invalid, NotFound, Problem
from commons.urls import base_url

bp = Blueprint("pools", __name__)

POOL = "/pools/<int(max=2147483647):pool_id>"
ROUND = POOL + "/rounds/<int(max=2147483647):number>"
NEEDS_OFFERED = 50  # of a project's open needs, offered as what a request serves
ME = "me"


@bp.app_template_filter("ratio")
def ratio_filter(value) -> str:
    return chart.ratio_text(None if value is None else Decimal(value))


@bp.app_template_filter("justification")
def justification_filter(text: str) -> Markup:
    """A request's justification as safe HTML. A round page shows up to 100
    of them and they change only when revised, so each worker keeps the
    last renders by their exact text (and the site's address, which decides
    which images stay images)."""
    return Markup(_rendered(text, base_url(current_app.config)))


@lru_cache(maxsize=2048)
def _rendered(text: str, origin: str) -> str:
    return render_markdown(text, 3, origin=origin)


def _load_pool(pool_id: int):
    try:
        return reading.get_pool(db.session, pool_id)
    except NotFound as problem:
        abort(404, description=problem.message)


def _load_round(pool, number: int):
    try:
        return reading.get_round(db.session, pool, number)
    except NotFound as problem:
        abort(404, description=problem.message)


def _stewards_only(pool) -> None:
    if not reading.is_steward(current_user, pool):
        who = reading.steward_name(pool)
        abort(403, description=f"Only the steward of {pool.title} ({who}) changes it or opens "
                               "its rounds.")


def _status(form, problem: Problem | None) -> int:
    if problem is not None:
        return problem.status
    return 422 if form.errors or form.form_errors else 200


# ---------------------------------------------------------------- the list

@bp.route("/pools")
def index():
    pools = reading.list_pools(db.session)
    return render_template("pools/index.html", pools=pools, steward_name=reading.steward_name)


@bp.route("/pools/new", methods=["GET", "POST"])
@login_required
def new():
    form = PoolForm()
    mine = reading.projects_of(db.session, current_user)
    form.steward_project.choices = [(ME, f"Me ({current_user.username})"),
                            *((project.slug, f"The project {project.name}")
                              for project in mine)]
    problem = None
    if form.validate_on_submit():
        done = attempt(lambda: services.create_pool(
            db.session, current_user, _pool_fields(form), clock.now()), show_on=form)
        problem = done.problem
        if done.ok:
            flash(f"The pool {done.result.title} is offered. Open a round when projects may "
                  "ask for it.", "success")
            return redirect(url_for("pools.show", pool_id=done.result.id))
    return render_template("pools/new.html", form=form), _status(form, problem)


def _pool_fields(form: PoolForm) -> services.PoolForm:
    steward = form.steward_project.data or ME
    listed = [slug for slug in (form.eligible.data or "").replace(",", "\n").split() if slug]
    money = form.kind.data == "money"
    return services.PoolForm(
        title=form.title.data, description=form.description.data or "",
        kind=form.kind.data, unit=None if money else form.unit.data,
        currency=form.currency.data if money else None, available=form.available.data,
        period=form.period.data or None,
        steward_project=None if steward == ME else steward,
        eligibility=form.eligibility.data, eligible=listed,
        contested_rule=form.contested_rule.data)


# ---------------------------------------------------------------- a pool

@bp.route(POOL)
def show(pool_id: int):
    return _pool_page(_load_pool(pool_id))


def _pool_page(pool, bound: dict | None = None, status: int = 200):
    forms = {"availability": AvailabilityForm(prefix="availability", formdata=None),
             "close": ClosePoolForm(prefix="close", formdata=None),
             "round": RoundForm(prefix="round", formdata=None), **(bound or {})}
    return render_template(
        "pools/show.html", pool=pool, forms=forms, steward=reading.is_steward(current_user, pool),
        steward_name=reading.steward_name(pool), rounds=reading.rounds_of(db.session, pool),
        history=reading.history(db.session, pool), unit=reading.unit_of(pool),
        entry_words=reading.entry_words), status


def _steward_form(pool, key: str, form, action, message):
    """A steward's form on the pool page: carry it out, or show the page
    again with the problem beside the field and everything typed kept."""
    problem = None
    if form.validate_on_submit():
        done = attempt(action, show_on=form)
        problem = done.problem
        if done.ok:
            flash(message(done.result), "success")
            return redirect(url_for("pools.show", pool_id=pool.id))
    return _pool_page(pool, {key: form}, problem.status if problem else 422)


@bp.route(POOL + "/availability", methods=["GET", "POST"])
@form_page_on_get("pools.show", "#availability-form")
@login_required
def availability(pool_id: int):
    pool = _load_pool(pool_id)
    _stewards_only(pool)
    form = AvailabilityForm(prefix="availability")
    unit = reading.unit_of(pool)
    return _steward_form(pool, "availability", form, lambda: services.change_availability(
        db.session, current_user, pool, form.available.data, form.reason.data, clock.now()),
        lambda _: f"{figure(pool.available, unit)} {unit} are available now; the next "
                  "iteration's close uses this figure and says so.")


@bp.route(POOL + "/close", methods=["GET", "POST"])
@form_page_on_get("pools.show", "#close-form")
@login_required
def close(pool_id: int):
    pool = _load_pool(pool_id)
    _stewards_only(pool)
    form = ClosePoolForm(prefix="close")
    return _steward_form(pool, "close", form, lambda: services.close_pool(
        db.session, current_user, pool, form.reason.data, clock.now()),
        lambda _: f"{pool.title} is closed: it takes no new rounds.")


@bp.route(POOL + "/rounds", methods=["GET", "POST"])
@form_page_on_get("pools.show", "#round-form")
@login_required
def open_round(pool_id: int):
    pool = _load_pool(pool_id)
    _stewards_only(pool)
    form = RoundForm(prefix="round")

    def action():
        iterations, seconds = _round_shape(form)
        try:
            return services.open_round(
                db.session, current_user, pool, iterations, seconds, clock.now(),
                min_review_window=int(current_app.config["MIN_REVIEW_WINDOW"]))
        except Problem as problem:
            if problem.field == "iteration_seconds":  # the form asks for days
                problem.field = "iteration_days"
            raise

    problem = None
    if form.validate_on_submit():
        done = attempt(action, show_on=form)
        problem = done.problem
        if done.ok:
            flash(f"Round {done.result.number} is open: eligible projects may file their "
                  "requests now.", "success")
            return redirect(url_for("pools.round", pool_id=pool.id, number=done.result.number))
    return _pool_page(pool, {"round": form}, problem.status if problem else 422)


def _round_shape(form: RoundForm) -> tuple[int, int]:
    """The number of iterations and their length in seconds, as typed."""
    text = (form.iterations.data or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_ITERATIONS:
        raise Invalid(f"Give a whole number of iterations from 1 to {MAX_ITERATIONS}.",
                      field="iterations")
    try:
        days = Decimal((form.iteration_days.data or "").strip())
    except InvalidOperation:
        days = Decimal(-1)
    if not days.is_finite() or days <= 0 or days > 365:
        raise Invalid("Give the length of an iteration in days, e.g. 3 or 1.5.",
                      field="iteration_days")
    return int(text), int(days * 86400)


# ---------------------------------------------------------------- a round

@bp.route(ROUND, endpoint="round")
def show_round(pool_id: int, number: int):
    pool = _load_pool(pool_id)
    return _round_page(pool, _load_round(pool, number))


def _round_page(pool, found, bound: RequestForm | None = None, status: int = 200):
    cursor = request.args.get("cursor")
    try:
        after = paging.decode(cursor, reading.CURSOR) if cursor else None
    except paging.BadCursor as problem:
        abort(400, description=problem.message)
    page = reading.round_page(db.session, pool, found, after)
    unit = reading.unit_of(pool)
    projects = reading.requesting_projects(db.session, current_user, pool) \
        if found.status == "open" else []
    if bound is not None and all(p.slug != bound.project.data for p in projects):
        # The form comes back with its problem even when the project it
        # named may not request (or the round has closed meanwhile).
        projects += [p for p in reading.projects_of(db.session, current_user)
                     if p.slug == bound.project.data]
    form = bound
    if projects:
        if form is None:
            chosen = next((p for p in projects if p.slug == request.args.get("project")),
                          projects[0])
            form = RequestForm(prefix="request", formdata=None)
            form.project.data = chosen.slug
            standing = reading.request_of(db.session, found, chosen)
            if standing is not None and not standing.withdrawn:
                form.quantity.data = figure(standing.quantity, unit)
                form.input_numbers.data = list(standing.input_numbers or [])
                form.justification.data = standing.justification
        form.project.choices = [(p.slug, p.name) for p in projects]
        form.quantity.label.text = f"Quantity, in {unit}"
        chosen = next((p for p in projects if p.slug == form.project.data), projects[0])
        needs = ledger.list_inputs(db.session, chosen, not_closed=True, limit=NEEDS_OFFERED)
        # A recurring need offers what the months through this one still need.
        needs = recurring.all_as_of(needs, clock.now().date())
        form.input_numbers.choices = [
            (need.number, f"#{need.number} {need.title} "
                          f"({figure(need.still_needed, need.unit)} {need.unit} still needed)")
            for need in needs]
    following = url_for("pools.round", pool_id=pool.id, number=found.number,
                        cursor=paging.encode(page.next_key)) if page.next_key else None
    return render_template(
        "pools/round.html", pool=pool, round=found, page=page, chart=page.chart,
        words=chart.words, form=form, my_projects=projects, unit=unit,
        steward_name=reading.steward_name(pool), withdraw=ConfirmForm(),
        following=following, later=cursor is not None), status


@bp.route(ROUND + "/request", methods=["GET", "POST"])
@form_page_on_get("pools.round", "#request-form")
@login_required
def file_request(pool_id: int, number: int):
    pool = _load_pool(pool_id)
    found = _load_round(pool, number)
    form = RequestForm(prefix="request")
    # Any project of the member's: whether it may request from this pool is
    # the service's to say (422 with the reason), as the API hears it.
    projects = reading.projects_of(db.session, current_user)
    project = next((p for p in projects if p.slug == form.project.data), None)
    if project is None:
        abort(403, description=f"Only members of a project file its request on {pool.title}. "
                               "Join the project first, or pick one you are a member of.")
    problem = None
    if form.validate_on_submit():
        done = attempt(lambda: services.file_request(
            db.session, current_user, found, project, form.quantity.data,
            list(form.input_numbers.data or []), form.justification.data or "", clock.now()),
            show_on=form)
        problem = done.problem
        if done.ok:
            unit = reading.unit_of(pool)
            flash(f"{project.name} asks for {figure(done.result.quantity, unit)} {unit} in "
                  f"iteration {done.result.iteration}.", "success")
            return redirect(url_for("pools.round", pool_id=pool.id, number=number,
                                    project=project.slug))
    return _round_page(pool, found, form, problem.status if problem else 422)


@bp.post(ROUND + "/withdrawal")
@login_required
def withdraw(pool_id: int, number: int):
    pool = _load_pool(pool_id)
    found = _load_round(pool, number)
    form = WithdrawForm()
    projects = reading.projects_of(db.session, current_user)
    project = next((p for p in projects if p.slug == form.project.data), None)
    if project is None:
        abort(403, description=f"Only members of a project that requested from {pool.title} "
                               "withdraw its request.")
    if not form.validate_on_submit():
        flash("That button's form could not be checked; reload the page and try again.", "error")
    else:
        done = attempt(lambda: services.withdraw_request(db.session, current_user, found,
                                                         project, clock.now()))
        if done.problem is not None:
            flash(done.problem.message, "error")
        else:
            flash(f"{project.name}'s request is withdrawn for this iteration.", "success")
    return redirect(url_for("pools.round", pool_id=pool.id, number=number))
