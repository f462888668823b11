"""Proposal pages: list, open, read, take a stance, comment, revise,
withdraw, escalate; the inbox and the Atom feed. Reading a project's
proposals decides the ones that are due first."""

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
from flask_login import current_user, login_required

from commons import clock
from commons.extensions import db
from commons.forms import attempt, press_button
from commons.governance import changes_pages, services
from commons.governance.forms import CommentForm, ProposalForm, ReviseForm, StanceForm
from commons.governance.on_read import decide_due_for
from commons.governance.rules import OPEN, STANCE_WORDS
from commons.problems import NotFound
from commons.projects import services as projects

bp = Blueprint("governance", __name__)


@bp.app_context_processor
def stance_words() -> dict:
    """Every template says a stance with the same words."""
    return {"stance_words": STANCE_WORDS}


def settings() -> services.Settings:
    return services.Settings.from_config(current_app.config)


def _project(slug: str):
    try:
        # Members load only if a page asks (a project may have thousands).
        return projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)


def _proposal(project, number: int):
    try:
        return services.get_proposal(db.session, project, number)
    except NotFound as problem:
        abort(404, description=problem.message)


@bp.route("/projects/<slug>/proposals")
def index(slug: str):
    project = _project(slug)
    decide_due_for(project)
    proposals = services.list_proposals(db.session, project, limit=200)
    return render_template("governance/index.html", project=project,
                           open=[p for p in proposals if p.status == OPEN],
                           closed=[p for p in proposals if p.status != OPEN])


@bp.route("/projects/<slug>/proposals/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    project = _project(slug)
    form = ProposalForm(kind=request.args.get("kind", "merge"), branch=request.args.get("branch"))
    problem = None
    if form.validate_on_submit():
        done = attempt(lambda: services.open_proposal(
            db.session, project, current_user, form.kind.data, form.title.data,
            form.body.data or "", _details(form), settings(), clock.now()), show_on=form)
        problem = done.problem
        if done.ok:
            proposal = done.result
            flash(f"Opened proposal #{proposal.number}. It passes on "
                  f"{proposal.closes_at:%Y-%m-%d %H:%M} UTC unless someone objects.", "success")
            return redirect(url_for("governance.show", slug=slug, number=proposal.number))
    return render_template("governance/new.html", project=project, form=form), \
        (problem.status if problem else 422 if form.errors or form.form_errors else 200)


PROPOSAL = "/projects/<slug>/proposals/<int(max=2147483647):number>"
changes_pages.init(bp, PROPOSAL)


def _load(slug: str, number: int):
    """The project and its proposal, decided first if it is due."""
    project = _project(slug)
    decide_due_for(project)
    return project, _proposal(project, number)


def _page(project, proposal, stance_form: StanceForm | None = None, status: int = 200):
    mine = next((s for s in proposal.stances if current_user.is_authenticated
                 and s.user_id == current_user.id), None)
    standing, tally = services.standing_and_tally(db.session, proposal)
    stance_form = stance_form or StanceForm(stance=mine.stance if mine else None,
                                            revision=str(proposal.revision), formdata=None)
    return render_template(
        "governance/show.html", project=project, proposal=proposal, mine=mine,
        can_stand=current_user.is_authenticated and current_user.id in standing, tally=tally,
        stance_form=stance_form, comment_form=CommentForm(formdata=None),
        revise_form=ReviseForm(title=proposal.title, body=proposal.body, formdata=None)), status


@bp.route(PROPOSAL)
def show(slug: str, number: int):
    return _page(*_load(slug, number))


@bp.post(PROPOSAL + "/stance")
@login_required
def stance(slug: str, number: int):
    project, proposal = _load(slug, number)
    form = StanceForm()
    status = 422
    if form.validate_on_submit():
        read = form.revision.data
        done = attempt(lambda: services.take_stance(
            db.session, proposal, current_user, form.stance.data, form.reason.data or "",
            clock.now(), int(read) if read and read.isdigit() else None), show_on=form)
        if done.problem is not None:
            status = done.problem.status
        else:
            flash("Your stance is recorded. You can change it while the proposal is open.",
                  "success")
            return redirect(url_for("governance.show", slug=slug, number=number))
    return _page(project, _proposal(project, number), form, status)


@bp.post(PROPOSAL + "/stance/withdraw")
@login_required
def withdraw_stance(slug: str, number: int):
    _, proposal = _load(slug, number)
    press_button(lambda: services.withdraw_stance(db.session, proposal, current_user, clock.now()),
                 lambda _: "Your stance is withdrawn.")
    return redirect(url_for("governance.show", slug=slug, number=number))


@bp.post(PROPOSAL + "/comments")
@login_required
def comment(slug: str, number: int):
    _, proposal = _load(slug, number)
    form = CommentForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.add_comment(db.session, proposal, current_user,
                                                    form.body.data, clock.now()))
        if done.problem is not None:
            flash(done.problem.message, "error")
        else:
            flash("Comment added.", "success")
    else:
        flash("Write a comment first.", "error")
    return redirect(url_for("governance.show", slug=slug, number=number) + "#comments")


@bp.post(PROPOSAL + "/withdraw")
@login_required
def withdraw(slug: str, number: int):
    _, proposal = _load(slug, number)
    press_button(lambda: services.withdraw_proposal(db.session, proposal, current_user, clock.now()),
                 lambda _: f"Proposal #{number} is withdrawn.")
    return redirect(url_for("governance.show", slug=slug, number=number))


@bp.post(PROPOSAL + "/escalate")
@login_required
def escalate(slug: str, number: int):
    project, proposal = _load(slug, number)
    press_button(lambda: services.escalate(db.session, proposal, project, current_user,
                                           settings(), clock.now()),
                 lambda _: "It is now put to a majority vote in a fresh window.")
    return redirect(url_for("governance.show", slug=slug, number=number))


@bp.post(PROPOSAL + "/revise")
@login_required
def revise(slug: str, number: int):
    project, proposal = _load(slug, number)
    form = ReviseForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.revise(
            db.session, proposal, project, current_user, settings(), "the author edited it",
            clock.now(), form.title.data, form.body.data or ""))
        if done.problem is not None:
            flash(done.problem.message, "error")
        else:
            flash("Revised: the window restarts and earlier stances are stale.", "success")
    return redirect(url_for("governance.show", slug=slug, number=number))


@bp.route("/projects/<slug>/proposals.atom")
def feed(slug: str):
    project = _project(slug)
    decide_due_for(project)
    proposals = services.list_proposals(db.session, project, limit=50)
    body = render_template("governance/feed.xml", project=project, proposals=proposals)
    return Response(body, mimetype="application/atom+xml")


@bp.route("/inbox")
@login_required
def inbox():
    return render_template("governance/inbox.html",
                           boxes=services.inbox(db.session, current_user, clock.now()))


def _details(form: ProposalForm) -> dict:
    kind = form.kind.data
    if kind == "merge":
        return {"branch": form.branch.data}
    if kind == "membership":
        return {"username": form.username.data}
    if kind == "license":
        return {"license": form.license.data}
    if kind == "input":
        return {"input": form.input.data or ""}
    if kind == "policy":
        details = {"admission": form.admission.data or None, "push": form.push.data or None,
                   "outside": form.outside.data or None}
        if form.review_window_hours.data:
            details["review_window"] = form.review_window_hours.data * 3600
        if form.threshold_amount.data:
            details["approval_threshold"] = {"amount": form.threshold_amount.data,
                                             "currency": form.threshold_currency.data or "EUR"}
        return details
    return {}
