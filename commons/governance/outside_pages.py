"""The pages a notice mail links to, for affected people without an
account: take a stance on the proposal (support, abstain, object with a
reason) and ask for no more mail from the project. The signed link is the
only credential; a link altered, signed for something else or expired
answers a page that says so, and nothing changes."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from commons import clock
from commons.extensions import csrf, db
from commons.forms import attempt
from commons.governance import notice_links, notices, services
from commons.governance.forms import StanceForm
from commons.governance.models import OutsideStance
from commons.governance.outside_stances import outside_party_name, take_outside_stance
from commons.problems import NotFound
from commons.projects import services as projects


def init(bp: Blueprint, proposal_rule: str) -> None:
    """Add the pages to *bp*; *proposal_rule* is a proposal page's URL rule."""
    bp.add_url_rule(proposal_rule + "/notice/<token>", "outside_stance", outside_stance,
                    methods=["GET", "POST"])
    bp.add_url_rule("/projects/<slug>/notice-opt-out/<token>", "notice_opt_out",
                    notice_opt_out, methods=["GET", "POST"])
    # The one-click opt-out (RFC 8058) is a POST from the mail client, which
    # has no CSRF token; the signed link is what authorises it.
    csrf.exempt(notice_opt_out)


def _bad_link(problem: notice_links.BadLink):
    return render_template("governance/notice_link_bad.html", message=problem.message), \
        problem.status


def outside_stance(slug: str, number: int, token: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
        proposal = services.get_proposal(db.session, project, number)
    except NotFound as problem:
        abort(404, description=problem.message)
    config = services.Settings.from_config(current_app.config)
    now = clock.now()
    try:
        link = notice_links.read_stance(config.secret_key, token, proposal,
                                        config.notice_link_margin, now)
    except notice_links.BadLink as problem:
        return _bad_link(problem)
    name = outside_party_name(proposal, link.address)
    mine = next((s for s in proposal.outside_stances if s.email == link.address), None)
    form = StanceForm(stance=mine.stance if mine else None, revision=str(proposal.revision),
                      formdata=None)
    status = 200
    if request.method == "POST":
        form = StanceForm()
        status = 422
        if form.validate_on_submit():
            read = form.revision.data
            done = attempt(lambda: take_outside_stance(
                db.session, proposal, link.address, form.stance.data, form.reason.data or "",
                now, int(read) if read and read.isdigit() else None), show_on=form)
            if done.problem is None:
                flash("Your stance is recorded and counts like a member's. You can change it "
                      "with the same link while the proposal is open.", "success")
                return redirect(request.path)
            status = done.problem.status
            mine = db.session.get(OutsideStance, mine.id) if mine else None
    return render_template("governance/outside_stance.html", project=project,
                           proposal=proposal, name=name, mine=mine, form=form,
                           open=proposal.status == "open" and now < proposal.closes_at), status


def notice_opt_out(slug: str, token: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    config = services.Settings.from_config(current_app.config)
    try:
        address = notice_links.read_opt_out(config.secret_key, token, project)
    except notice_links.BadLink as problem:
        return _bad_link(problem)
    if request.method == "POST":
        done = attempt(lambda: notices.opt_out(db.session, project, address, clock.now()))
        if done.problem is not None:  # nothing a service raises here; kept for its message
            return _bad_link(notice_links.BadLink(done.problem.message))
        return render_template("governance/notice_opted_out.html", project=project,
                               address=address)
    return render_template("governance/notice_opt_out.html", project=project, address=address,
                           action=url_for("governance.notice_opt_out", slug=slug, token=token))
