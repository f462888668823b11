"""Notification pages: how a person is notified (/settings/notifications),
marking notices read (the inbox itself is governance's /inbox), one-click
unsubscribe links, and the unread count in every page's header."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from commons import clock
from commons.accounts.models import User
from commons.errors import UNAVAILABLE
from commons.extensions import csrf, db
from commons.forms import attempt, press_button
from commons.notifications import rules, services
from commons.notifications.forms import LevelForm, ModeForm
from commons.notifications.unsubscribe import read_token
from commons.problems import NotFound
from commons.projects import services as projects

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def unread_badge() -> dict:
    """``unread_notifications()`` in the header: one indexed count, asked
    only by pages that render the header for someone logged in."""
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return services.unread_count(db.session, current_user.id)
        except UNAVAILABLE:
            # Most likely the 503 page of this very outage: it still renders.
            db.session.rollback()
            return 0
    return {"unread_notifications": unread_notifications}


def _settings_page(mode_form: ModeForm | None = None, status: int = 200):
    chosen = services.preferences(db.session, current_user)
    mode_form = mode_form or ModeForm(mode=chosen.mode, muted=sorted(chosen.muted),
                                      formdata=None)
    rows = [(project, LevelForm(level=chosen.levels.get(project.id, "default"),
                                formdata=None, prefix=f"p{project.id}"))
            for project in services.projects_of(db.session, current_user)]
    return render_template("notifications/settings.html", mode_form=mode_form,
                           projects=rows, events=rules.EVENTS), status


@bp.route("/settings/notifications")
@login_required
def settings():
    return _settings_page()


@bp.post("/settings/notifications")
@login_required
def save_mode():
    form = ModeForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.set_mode(db.session, current_user, form.mode.data,
                                                 set(form.muted.data or [])), show_on=form)
        if done.ok:
            flash("Saved: this is how you are notified from now on.", "success")
            return redirect(url_for("notifications.settings"))
        return _settings_page(form, done.problem.status if done.problem else 422)
    return _settings_page(form, 422)


@bp.post("/settings/notifications/projects/<slug>")
@login_required
def save_level(slug: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    form = LevelForm(prefix=f"p{project.id}")
    if not form.validate_on_submit():
        flash("Choose default, watch or ignore for the project, then save.", "error")
        return redirect(url_for("notifications.settings"))
    level = form.level.data
    done = attempt(lambda: services.set_level(db.session, current_user, project, level))
    if done.problem is not None:
        flash(done.problem.message, "error")
    else:
        flash({"watch": f"You watch {project.name}: its notices are mailed at once.",
               "ignore": f"You ignore {project.name}: no mail; your inbox still lists it.",
               }.get(level, f"{project.name} notifies you as by default."), "success")
    return redirect(url_for("notifications.settings"))


@bp.post("/inbox/<int(max=2147483647):notification_id>/read")
@login_required
def read(notification_id: int):
    press_button(lambda: services.mark_read(db.session, current_user, notification_id,
                                            clock.now()),
                 lambda _: "Marked read.")
    return redirect(url_for("governance.inbox"))


@bp.post("/inbox/read")
@login_required
def read_all():
    up_to = request.form.get("up_to", type=int)
    press_button(lambda: services.mark_all_read(db.session, current_user, clock.now(), up_to),
                 lambda count: f"Marked {count} read." if count != 1 else "Marked 1 read.")
    return redirect(url_for("governance.inbox"))


def _unsubscribing(token: str) -> tuple[User, str]:
    found = read_token(current_app.config["SECRET_KEY"], token)
    user = db.session.get(User, found[0]) if found else None
    if found is None or user is None:
        abort(400, description="This unsubscribe link is not one commons sent, or it was "
                               "changed on the way. Open the link in the mail itself, or "
                               "choose what you are mailed in your notification settings.")
    return user, found[1]


def _kind_label(kind: str) -> str:
    return "the daily digest" if kind == rules.DIGEST else f"mails about {rules.EVENTS[kind].label}"


@bp.route("/notifications/unsubscribe/<token>")
def unsubscribe(token: str):
    """The link in a mail shows what it turns off; only the button (or a
    mail client's one-click POST) does it, so link checkers change
    nothing."""
    user, kind = _unsubscribing(token)
    return render_template("notifications/unsubscribe.html", user=user, token=token,
                           label=_kind_label(kind), done=False)


@bp.post("/notifications/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the mail client posts; the signature is the proof
def unsubscribe_now(token: str):
    user, kind = _unsubscribing(token)
    services.mute(db.session, user, kind)
    db.session.commit()
    return render_template("notifications/unsubscribe.html", user=user, token=token,
                           label=_kind_label(kind), done=True)
