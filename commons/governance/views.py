"""Proposal pages: list, open, read, take a stance, comment, revise,
withdraw, escalate; the inbox and the Atom feed. Pages never decide: a
proposal past its close shows "closed, being carried out" until the worker
has decided it (``governance.jobs``)."""

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
from commons.forms import attempt, form_page_on_get, press_button
from commons.governance import changes_pages, choices, notices, outside_pages, rules, services
from commons.governance.forms import CommentForm, ProposalForm, ReviseForm, StanceForm
from commons.governance.rules import OPEN, STANCE_WORDS
from commons.ledger.work_rules import WORK_CATEGORIES
from commons.notifications import services as notifications
from commons.notifications.rules import time_left
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



@bp.app_template_global("being_carried_out")
def being_carried_out(proposal) -> bool:
    """Past its close and not yet decided by the worker: shown as such,
    never decided by the page."""
    return rules.being_carried_out(proposal.status, proposal.closes_at, clock.now())

@bp.route("/projects/<slug>/proposals")
def index(slug: str):
    project = _project(slug)
    proposals = services.list_proposals(db.session, project, limit=200)
    return render_template("governance/index.html", project=project,
                           open=[p for p in proposals if p.status == OPEN],
                           closed=[p for p in proposals if p.status != OPEN])


@bp.route("/projects/<slug>/proposals/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    """The form shows the chosen kind's fields only: scripts switch them in
    place; without scripts the kind is chosen first (``?kind=`` or the
    "Show its fields" button, which re-renders the form filled in). The
    Preview button re-renders it too, with the body rendered."""
    project = _project(slug)
    kind = request.args.get("kind", "merge")
    form = ProposalForm(kind=kind if kind in rules.KINDS else "merge",
                        branch=request.args.get("branch"), username=current_user.username,
                        threshold_currency=project.approval_currency)
    action = request.form.get("action") if request.method == "POST" else None
    problem = None
    if action not in ("choose", "preview") and form.validate_on_submit():
        done = attempt(lambda: services.open_proposal(
            db.session, project, current_user, form.kind.data, form.title.data,
            form.body.data or "", _details(form), settings(), clock.now()), show_on=form)
        problem = done.problem
        if done.ok:
            proposal = done.result
            flash(f"Opened proposal #{proposal.number}. It passes on "
                  f"{proposal.closes_at:%Y-%m-%d %H:%M} UTC unless someone objects.", "success")
            return redirect(url_for("governance.show", slug=slug, number=proposal.number))
    if form.kind.data not in rules.KINDS:
        form.kind.data = "merge"
    return render_template(
        "governance/new.html", project=project, form=form,
        choices=choices.for_proposal(db.session, project, current_user, settings()),
        preview=form.body.data or "" if action == "preview" else None), \
        (problem.status if problem else 422 if form.errors or form.form_errors else 200)


PROPOSAL = "/projects/<slug>/proposals/<int(max=2147483647):number>"
changes_pages.init(bp, PROPOSAL)
outside_pages.init(bp, PROPOSAL)


def _load(slug: str, number: int):
    """The project and its proposal."""
    project = _project(slug)
    return project, _proposal(project, number)


def _page(project, proposal, stance_form: StanceForm | None = None, status: int = 200,
          comment_form: CommentForm | None = None, comment_preview: str | None = None,
          revise_form: ReviseForm | None = None, revise_preview: str | None = None):
    mine = next((s for s in proposal.stances if current_user.is_authenticated
                 and s.user_id == current_user.id), None)
    standing, tally = services.standing_and_tally(db.session, proposal)
    # A stance being changed starts from the earlier one, its reason included.
    stance_form = stance_form or StanceForm(stance=mine.stance if mine else None,
                                            reason=mine.reason if mine else "",
                                            revision=str(proposal.revision), formdata=None)
    return render_template(
        "governance/show.html", project=project, proposal=proposal, mine=mine,
        can_stand=current_user.is_authenticated and current_user.id in standing, tally=tally,
        parties=notices.parties(db.session, proposal),
        waiting_for_notice=notices.pending(db.session, proposal),
        stance_form=stance_form, comment_form=comment_form or CommentForm(formdata=None),
        comment_preview=comment_preview, revise_preview=revise_preview,
        revise_form=revise_form or ReviseForm(title=proposal.title, body=proposal.body,
                                              formdata=None)), status


@bp.route(PROPOSAL)
def show(slug: str, number: int):
    return _page(*_load(slug, number))


@bp.route(PROPOSAL + "/stance", methods=["GET", "POST"])
@form_page_on_get("governance.show", "#stances-heading")
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


@bp.route(PROPOSAL + "/comments", methods=["GET", "POST"])
@form_page_on_get("governance.show", "#comments")
@login_required
def comment(slug: str, number: int):
    project, proposal = _load(slug, number)
    form = CommentForm()
    if request.form.get("action") == "preview":
        # Without scripts the Preview button comes here: the page again, the
        # comment still typed in and shown rendered below it.
        return _page(project, proposal, comment_form=form, comment_preview=form.body.data or "")
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


@bp.route(PROPOSAL + "/revise", methods=["GET", "POST"])
@form_page_on_get("governance.show", "#author-heading")
@login_required
def revise(slug: str, number: int):
    project, proposal = _load(slug, number)
    form = ReviseForm()
    if request.form.get("action") == "preview":
        return _page(project, proposal, revise_form=form, revise_preview=form.body.data or "")
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
    proposals = services.list_proposals(db.session, project, limit=50)
    body = render_template("governance/feed.xml", project=project, proposals=proposals)
    return Response(body, mimetype="application/atom+xml")


@bp.route("/inbox")
@login_required
def inbox():
    """What waits for the person's stance first, then their notifications,
    unread before read."""
    now = clock.now()
    unread = notifications.listing(db.session, current_user, unread=True, limit=200)
    return render_template(
        "governance/inbox.html", now=now, time_left=time_left,
        waiting=services.waiting_for_stance(db.session, current_user, now), unread=unread,
        read=notifications.listing(db.session, current_user, unread=False, limit=50),
        up_to=max((n.id for n in unread), default=0))


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
        if form.notify_outside_authors.data:
            details["notify_outside_authors"] = form.notify_outside_authors.data == "yes"
        if form.review_window_hours.data:
            details["review_window"] = form.review_window_hours.data * 3600
        if form.threshold_amount.data:
            details["approval_threshold"] = {"amount": form.threshold_amount.data,
                                             "currency": form.threshold_currency.data or "EUR"}
        for key in ("treasurer_grant", "treasurer_remove"):
            if getattr(form, key).data:
                details[key] = getattr(form, key).data
        weights = {category: getattr(form, f"weight_{category}").data
                   for category in WORK_CATEGORIES if getattr(form, f"weight_{category}").data}
        if weights or form.rule_onerous.data:
            details["recognition_rule"] = {"weights": weights,
                                           "onerous": bool(form.rule_onerous.data)}
        return details
    return {}
