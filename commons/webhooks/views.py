"""A project's webhooks, under its settings: the list, a form to add one,
each hook's page (edit, its secret, its delivery log), delete, redeliver.
Members only: the secrets sign what the project tells the world."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from commons import clock
from commons.extensions import db
from commons.forms import attempt, press_button
from commons.problems import NotFound
from commons.projects import services as projects
from commons.projects.models import Project
from commons.webhooks import rules, services
from commons.webhooks.forms import WebhookForm
from commons.webhooks.models import Webhook

bp = Blueprint("webhooks", __name__, url_prefix="/projects/<slug>/settings/webhooks")


def _settings() -> services.Settings:
    return services.Settings.from_config(current_app.config)


def _project(slug: str) -> Project:
    try:
        project = projects.get_project(db.session, slug)
    except NotFound as problem:
        abort(404, description=problem.message)
    if not project.is_member(current_user):
        abort(403, description=f"Only members of {project.name} see and manage its webhooks.")
    return project


def _hook(project: Project, hook_id: int) -> Webhook:
    try:
        return services.get_hook(db.session, project, hook_id)
    except NotFound as problem:
        abort(404, description=problem.message)


def _fields(form: WebhookForm) -> services.HookFields:
    return services.HookFields(url=form.url.data or "", secret=form.secret.data or "",
                               events=list(form.events.data or []),
                               enabled=bool(form.enabled.data))


@bp.route("", methods=["GET", "POST"])
@login_required
def index(slug: str):
    project = _project(slug)
    form = WebhookForm()
    if not form.is_submitted():
        form.events.data = ["push"]
    if form.validate_on_submit():
        done = attempt(lambda: services.create_hook(db.session, project, current_user,
                                                    _fields(form), _settings(), clock.now()),
                       show_on=form)
        if done.ok:
            flash("Webhook added. Its secret is on its page; give it to the receiver.",
                  "success")
            return redirect(url_for("webhooks.show", slug=slug, hook_id=done.result.id))
    return render_template("webhooks/index.html", project=project, form=form,
                           hooks=services.hooks_of(db.session, project), events=rules.EVENTS), \
        (422 if form.errors or form.form_errors else 200)


@bp.route("/<int(max=2147483647):hook_id>", methods=["GET", "POST"])
@login_required
def show(slug: str, hook_id: int):
    project = _project(slug)
    hook = _hook(project, hook_id)
    form = WebhookForm()
    if not form.is_submitted():
        form.url.data, form.events.data, form.enabled.data = \
            hook.url, hook.event_list, hook.enabled
    if form.validate_on_submit():
        done = attempt(lambda: services.update_hook(db.session, hook, current_user,
                                                    _fields(form), _settings(), clock.now()),
                       show_on=form)
        if done.ok:
            flash("Webhook saved.", "success")
            return redirect(url_for("webhooks.show", slug=slug, hook_id=hook_id))
        db.session.refresh(hook)
    form.secret.data = ""  # the secret is shown apart, never put back in a field
    return render_template("webhooks/show.html", project=project, hook=hook, form=form,
                           deliveries=services.deliveries_of(db.session, hook),
                           events=rules.EVENTS), \
        (422 if form.errors or form.form_errors else 200)


@bp.post("/<int(max=2147483647):hook_id>/delete")
@login_required
def delete(slug: str, hook_id: int):
    project = _project(slug)
    hook = _hook(project, hook_id)
    url = hook.url
    press_button(lambda: services.delete_hook(db.session, hook, current_user),
                 lambda _: f"Deleted the webhook to {url} and its delivery log.")
    return redirect(url_for("webhooks.index", slug=slug))


@bp.post("/<int(max=2147483647):hook_id>/deliveries/<int(max=2147483647):delivery_id>/redeliver")
@login_required
def redeliver(slug: str, hook_id: int, delivery_id: int):
    project = _project(slug)
    hook = _hook(project, hook_id)
    try:
        delivery = services.get_delivery(db.session, hook, delivery_id)
    except NotFound as problem:
        abort(404, description=problem.message)
    press_button(lambda: services.redeliver(db.session, delivery, current_user, clock.now()),
                 lambda d: f"Delivery {d.uuid} is being sent again; its log shows the attempt.")
    return redirect(url_for("webhooks.show", slug=slug, hook_id=hook_id))
