"""Confirming logged work on the pages (issue 20): a member's "Confirm"
button beside someone else's unconfirmed hours, and the confirmer's
"Withdraw confirmation" while the month is open. Both are POST forms with
the CSRF token; the page the button was on is shown again."""

from flask import redirect, request, url_for
from flask_login import current_user, login_required

from commons import clock
from commons.accounts.rules import safe_next_url
from commons.extensions import db
from commons.forms import press_button
from commons.ledger import chart, services
from commons.ledger.blueprint import bp, load_project

SEQ = "<int(max=2147483647):seq>"


@bp.post(f"/projects/<slug>/work/{SEQ}/confirm")
@login_required
def confirm_work(slug: str, seq: int):
    project = load_project(slug)
    press_button(lambda: services.confirm_work(db.session, project, current_user, seq,
                                               now=clock.now()),
                 lambda work: f"You confirmed {chart.figure(work.hours)} hours of "
                              f"{_worker(work)} (entry #{seq}).")
    return _back(slug, seq)


@bp.post(f"/projects/<slug>/work/{SEQ}/unconfirm")
@login_required
def unconfirm_work(slug: str, seq: int):
    project = load_project(slug)
    press_button(lambda: services.withdraw_confirmation(db.session, project, current_user,
                                                        seq, now=clock.now()),
                 lambda work: f"You withdrew your confirmation of entry #{seq}; its hours "
                              "count as unconfirmed again.")
    return _back(slug, seq)


def _worker(work) -> str:
    return work.user.username if work.user else "a former account"


def _back(slug: str, seq: int):
    """To the page the button was on (a path of this site), else the work page."""
    target = safe_next_url(request.form.get("next"))
    return redirect(target or url_for("ledger.work", slug=slug) + f"#work-{seq}")
