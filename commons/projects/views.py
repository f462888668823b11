"""Project pages: the list, the creation form, a project's home, its
settings, join and leave."""

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

from commons import clock, generations
from commons.extensions import db
from commons.forms import attempt, press_button
from commons.git import rendering
from commons.git.repositories import repository_path
from commons.governance import services as governance
from commons.money import parse_amount
from commons.problems import NotFound, Problem
from commons.projects import home, joining, licences, services
from commons.projects.forms import ProjectForm
from commons.projects.models import Membership
from commons.projects.rules import Threshold
from commons.urls import base_url, clone_url

bp = Blueprint("projects", __name__, url_prefix="/projects")
README_LIMIT = 1024 * 1024   # bytes of README.md read for the home page


@bp.route("")
def index():
    query = request.args.get("q", "")[:200]
    projects = services.search_projects(db.session, query)
    return render_template("projects/index.html", projects=projects, query=query)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    settings = services.Settings.from_config(current_app.config)
    form = ProjectForm()
    if request.method == "GET":
        form.review_window_hours.data = settings.default_review_window // 3600
        form.threshold_amount.data = str(settings.default_threshold.amount)
        form.threshold_currency.data = settings.default_threshold.currency
    # The description's Preview button (without scripts) shows the form again, filled in.
    previewing = request.method == "POST" and request.form.get("action") == "preview"
    if not previewing and form.validate_on_submit():
        done = attempt(lambda: services.create_project(
            db.session, current_user, _new_project(form, settings), settings, now=clock.now()),
            show_on=form)
        if done.ok:
            project = done.result
            flash(f"Created {project.name}. Clone it and push your work, or invite people to join.",
                  "success")
            return redirect(url_for("projects.show", slug=project.slug))
    return render_template("projects/new.html", form=form, licences=licences.open_licences(),
                           preview=form.description.data or "" if previewing else None), \
        (422 if form.errors or form.form_errors else 200)


# Raised whenever home.Home or what it holds changes shape, so an instance
# running new code never reads what older code kept.
HOME_VERSION = 1


@bp.route("/<slug>")
def show(slug: str):
    # Without its memberships: the home reads them as plain rows.
    project = _project_or_404(slug, with_members=False)
    readme = rendering.readme(repository_path(current_app.config["REPOS_DIR"], project.slug),
                              f"refs/heads/{project.default_branch}", "README.md", 2,
                              base_url(current_app.config), README_LIMIT)
    viewer = current_user if current_user.is_authenticated else None
    today = clock.now().date()
    if viewer is None:
        # What a visitor sees depends on the data alone: kept until it
        # changes (commons.generations), a lookup instead of six queries.
        found = generations.kept(f"home:{HOME_VERSION}:{project.id}:{today.isoformat()}",
                                 lambda: home.project_home(db.session, project, None, today))
    else:
        found = home.project_home(db.session, project, viewer, today)
    return render_template(
        "projects/show.html", project=project, membership=found.membership,
        readme=Markup(readme) if readme is not None else None,
        licence=licences.find_licence(project.license), clone_url=clone_url(project.slug),
        Membership=Membership, home=found,
        nav_member=found.membership is not None and found.membership.status == Membership.MEMBER,
    )


@bp.route("/<slug>/settings")
@login_required
def settings(slug: str):
    """A project's settings for a member: its webhooks, and leaving."""
    project = _project_or_404(slug)
    membership = project.membership_of(current_user)
    if membership is None or membership.status != Membership.MEMBER:
        abort(403, description=f"Only members of {project.name} have its settings; "
                               "join the project from its page first.")
    return render_template("projects/settings.html", project=project,
                           only_member=len(project.members) == 1)


@bp.post("/<slug>/join")
@login_required
def join(slug: str):
    project = _project_or_404(slug)
    press_button(lambda: joining.join_or_ask(db.session, project, current_user, _settings(),
                                             clock.now()),
                 lambda result: (
                     f"You are a member of {project.name}. You can push branches now."
                     if result[1] is None else
                     f"Your request to join {project.name} is proposal #{result[1].number}; "
                     "it passes unless a member objects."))
    return redirect(url_for("projects.show", slug=slug))


@bp.post("/<slug>/leave")
@login_required
def leave(slug: str):
    project = _project_or_404(slug)
    left = press_button(lambda: joining.leave_or_withdraw(db.session, project, current_user,
                                                          clock.now()),
                        lambda membership: f"You left {project.name}." if membership.joined_at
                        else f"You withdrew your request to join {project.name}.")
    if not left and request.form.get("from") == "settings":
        return redirect(url_for("projects.settings", slug=slug))
    return redirect(url_for("projects.show", slug=slug))


def _settings() -> "governance.Settings":  # text: governance may be half loaded here
    return governance.Settings.from_config(current_app.config)


def _project_or_404(slug: str, with_members: bool = True):
    try:
        return services.get_project(db.session, slug, with_members)
    except NotFound as problem:
        abort(404, description=problem.message)


def _new_project(form: ProjectForm, settings: services.Settings) -> services.NewProject:
    amount_text = form.threshold_amount.data or ""
    amount = parse_amount(amount_text) if amount_text.strip() else settings.default_threshold.amount
    if amount is None:
        raise Problem("Write the threshold as a plain number, e.g. 250 or 99.50.",
                      field="threshold_amount")
    currency = (form.threshold_currency.data or settings.default_threshold.currency).strip().upper()
    hours = form.review_window_hours.data
    return services.NewProject(
        name=form.name.data, slug=(form.slug.data or "").strip(), license=form.license.data,
        description=form.description.data or "", admission=form.admission.data,
        push=form.push.data, outside=form.outside.data,
        review_window=hours * 3600 if hours else settings.default_review_window,
        approval_threshold=Threshold(amount, currency),
    )
