"""/admin/jobs: the queue and its failed jobs, for the site's
administrators (COMMONS_ADMINS)."""

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from commons import clock
from commons.extensions import db
from commons.forms import press_button
from commons.jobs import failures
from commons.jobs.queue import queue_of

bp = Blueprint("jobs", __name__, url_prefix="/admin")


def is_admin(user) -> bool:
    return bool(user.is_authenticated and
                user.username in set(current_app.config.get("ADMINS") or ()))


@bp.before_request
@login_required
def administrators_only():
    if not is_admin(current_user):
        abort(403, description="Only the site's administrators (COMMONS_ADMINS) see the "
                               "job queue.")


@bp.get("/jobs")
def index():
    queue = queue_of()
    return render_template("jobs/index.html", waiting=queue.huey.pending_count(),
                           scheduled=queue.huey.scheduled_count(),
                           failed=failures.unresolved(db.session))


@bp.post("/jobs/failed/<int:failure_id>/retry")
def retry(failure_id: int):
    press_button(lambda: failures.retry(db.session, failure_id, clock.now()),
                 lambda failure: f"{failure.job} is back on the queue.")
    return redirect(url_for("jobs.index"))


@bp.post("/jobs/failed/<int:failure_id>/dismiss")
def dismiss(failure_id: int):
    press_button(lambda: failures.dismiss(db.session, failure_id, clock.now()),
                 lambda failure: f"Dismissed {failure.job}.")
    return redirect(url_for("jobs.index"))
