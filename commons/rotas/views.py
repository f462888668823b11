"""Rota pages: the project's rotas and the form to start one
(/projects/<slug>/rotas, also on the division-of-labour page), and a rota
(/projects/<slug>/rotas/<id>): who opted in, the next turns, past turns
done or missed, swaps asked for, and the buttons and forms its members use.

Thin: parse, call a service, render or redirect. Changes are for members
(checked here, and again by the services); reading is for everyone."""

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
from flask_login import current_user

from commons import clock
from commons.extensions import db
from commons.forms import ConfirmForm, attempt, form_page_on_get, press_button
from commons.ledger.chart import figure
from commons.ledger.work_rules import WORK_CATEGORIES
from commons.problems import Invalid, NotFound, Problem
from commons.projects import services as projects
from commons.rotas import services
from commons.rotas.forms import DoneForm, RotaForm, SwapForm
from commons.rotas.models import Rota

bp = Blueprint("rotas", __name__)

ROTA = "/projects/<slug>/rotas/<int(max=2147483647):rota_id>"
TURN = ROTA + "/turns/<int(max=2147483647):number>"
SWAP = ROTA + "/swaps/<int(max=2147483647):swap_id>"


def _project(slug: str):
    try:
        return projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)


def _rota(project, rota_id: int) -> Rota:
    try:
        return services.get_rota(db.session, project, rota_id)
    except NotFound as problem:
        abort(404, description=problem.message)


def _members_only(project, what: str):
    """The signed-in member, or the answer that refuses: sign in first, or
    403 for someone who is not a member."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not project.is_member(current_user):
        abort(403, description=f"Only members of {project.name} {what}. Join the project "
                               "first.")
    return None


def _is_member(project) -> bool:
    return current_user.is_authenticated and project.is_member(current_user)


def _status(problem: Problem | None, form) -> int:
    if problem is not None:
        return problem.status
    return 422 if form.errors else 200


# ---------------------------------------------------------------- the list

@bp.route("/projects/<slug>/rotas", methods=["GET", "POST"])
def index(slug: str):
    project = _project(slug)
    form = RotaForm(formdata=None)
    problem = None
    if request.method == "POST":
        refused = _members_only(project, "create rotas")
        if refused is not None:
            return refused
        form = RotaForm()
        if form.validate_on_submit():
            done = attempt(lambda: services.create_rota(
                db.session, project, current_user, services.RotaFields(
                    title=form.title.data, category=form.category.data,
                    every_days=form.every_days.data, hours=form.hours.data,
                    starts_on=form.starts_on.data), now=clock.now()), show_on=form)
            problem = done.problem
            if done.ok:
                flash(f"Started the rota “{done.result.title}”: opt in to take turns.",
                      "success")
                return redirect(url_for("rotas.show", slug=slug, rota_id=done.result.id))
        else:
            problem = Invalid("Check the fields marked below.")
    return render_template("rotas/index.html", project=project,
                           rotas=services.list_rotas(db.session, project), form=form, rota_form=form,
                           member=_is_member(project), categories=WORK_CATEGORIES,
                           tab="contributors"), _status(problem, form)


# ---------------------------------------------------------------- a rota

@bp.route(ROTA)
def show(slug: str, rota_id: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    return _show(project, rota)


def _show(project, rota: Rota, *, problem: Problem | None = None, failed: int | None = None,
          done_form: DoneForm | None = None, swap_form: SwapForm | None = None):
    now = clock.now()
    if services.refresh(db.session, project, rota, now=now):
        db.session.commit()  # turns that came into view are handed out once, for everyone
    upcoming, past = services.turn_views(db.session, rota, now.date())
    members = services.members_of(db.session, rota)
    hours = services.hours_of_kind(db.session, project, rota.category,
                                   [m.user_id for m in members], now.date())
    me = current_user if current_user.is_authenticated else None

    # One pair of forms per turn, each with its own prefix so that ids stay
    # unique on the page; the one that failed comes back as typed.
    def done_form_for(number: int) -> DoneForm:
        if failed == number and done_form is not None:
            return done_form
        form = DoneForm(formdata=None, prefix=f"turn{number}")
        form.hours.data = figure(rota.hours)
        return form

    def swap_form_for(number: int) -> SwapForm:
        if failed == number and swap_form is not None:
            return swap_form
        return SwapForm(formdata=None, prefix=f"turn{number}")
    return render_template(
        "rotas/show.html", project=project, rota=rota, upcoming=upcoming, past=past,
        members=members, hours=hours, swaps=services.open_swaps(db.session, rota),
        member=_is_member(project), opted_in=me is not None and any(
            m.user_id == me.id for m in members),
        me=me.username if me is not None else None, categories=WORK_CATEGORIES,
        confirm=ConfirmForm(), failed=failed, done_form_for=done_form_for,
        swap_form_for=swap_form_for, tab="contributors"), \
        problem.status if problem is not None else 200


@bp.post(ROTA + "/opt-in")
def opt_in(slug: str, rota_id: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    refused = _members_only(project, "opt in to its rotas")
    if refused is not None:
        return refused
    press_button(lambda: services.opt_in(db.session, project, rota, current_user,
                                         now=clock.now()),
                 lambda _: f"You are in the rota “{rota.title}”.")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))


@bp.post(ROTA + "/opt-out")
def opt_out(slug: str, rota_id: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    press_button(lambda: services.opt_out(db.session, project, rota, current_user,
                                          now=clock.now()),
                 lambda _: f"You left the rota “{rota.title}”; your upcoming turns went to "
                           "the others.")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))


@bp.route(TURN + "/done", methods=["GET", "POST"])
@form_page_on_get("rotas.show")
def done(slug: str, rota_id: int, number: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    refused = _members_only(project, "take turns in its rotas")
    if refused is not None:
        return refused
    form = DoneForm(prefix=f"turn{number}")
    if not form.validate_on_submit():
        return _show(project, rota, problem=Invalid("Check the fields marked below."),
                     failed=number, done_form=form)
    outcome = attempt(lambda: services.mark_done(
        db.session, project, rota, current_user, number, form.hours.data, form.date.data,
        now=clock.now(), max_days_back=current_app.config["WORK_MAX_DAYS_BACK"]),
        show_on=form)
    if not outcome.ok:
        return _show(project, rota, problem=outcome.problem, failed=number, done_form=form)
    turn = outcome.result
    flash(f"Turn {number} is done: {figure(turn.hours)} hours logged as work entry #{turn.work_seq}; "
          "another member confirms it.", "success")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))


@bp.route(TURN + "/swap", methods=["GET", "POST"])
@form_page_on_get("rotas.show")
def ask_swap(slug: str, rota_id: int, number: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    refused = _members_only(project, "take turns in its rotas")
    if refused is not None:
        return refused
    form = SwapForm(prefix=f"turn{number}")
    if not form.validate_on_submit():
        return _show(project, rota, problem=Invalid("Check the fields marked below."),
                     failed=number, swap_form=form)
    outcome = attempt(lambda: services.ask_swap(
        db.session, project, rota, current_user, number, form.username.data,
        form.other_number.data, now=clock.now()), show_on=form)
    if not outcome.ok:
        return _show(project, rota, problem=outcome.problem, failed=number, swap_form=form)
    flash(f"Asked {form.username.data.strip()} to take turn {number}; it changes hands when "
          "they confirm.", "success")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))


@bp.post(SWAP + "/confirm")
def confirm_swap(slug: str, rota_id: int, swap_id: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    refused = _members_only(project, "take turns in its rotas")
    if refused is not None:
        return refused
    press_button(lambda: services.confirm_swap(db.session, rota, current_user, swap_id,
                                               now=clock.now()),
                 lambda swap: f"Swap confirmed: turn {swap.turn.number} is yours.")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))


@bp.post(SWAP + "/cancel")
def cancel_swap(slug: str, rota_id: int, swap_id: int):
    project = _project(slug)
    rota = _rota(project, rota_id)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    press_button(lambda: services.cancel_swap(db.session, rota, current_user, swap_id,
                                              now=clock.now()),
                 lambda swap: f"Cancelled the swap of turn {swap.turn.number}.")
    return redirect(url_for("rotas.show", slug=slug, rota_id=rota.id))
