"""Account pages: register, log in and out, settings (emails, tokens, password
and sessions)."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from commons import clock
from commons.accounts import services
from commons.accounts.attempts import TooManyAttempts, count_password_attempt
from commons.accounts.forms import (
    EmailForm,
    LoginForm,
    PasswordForm,
    RegisterForm,
    TimeZoneForm,
    TokenForm,
)
from commons.accounts.rules import safe_next_url
from commons.accounts.sessions import start_session
from commons.extensions import db, limiter, login_manager
from commons.forms import ConfirmForm, attempt, form_page_on_get, press_button

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Log in to do that."
login_manager.login_message_category = "info"


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("projects.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.register_user(
            db.session, form.username.data, form.email.data, form.password.data, clock.now()),
            show_on=form)
        if done.ok:
            user = done.result
            start_session(user)
            # The same words whether or not another account holds the
            # address: its holder is mailed instead, and only they learn of it.
            flash(f"Welcome, {user.username}. We sent a link to {user.emails[0].address}: "
                  "open it to confirm the address. Until then commits made with it do not "
                  "count as yours and it receives no mail.", "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("projects.index"))
    return render_template("accounts/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.login.data, form.password.data,
                                         count_password_attempt)
        except TooManyAttempts as refusal:
            form.form_errors.append(refusal.message)
            return (render_template("accounts/login.html", form=form), 429,
                    {"Retry-After": str(refusal.retry_after)})
        if user is None:
            form.form_errors.append(
                "That username or email and password do not match. Check them and try again."
            )
        else:
            start_session(user)
            flash(f"Logged in as {user.username}.", "success")
            return redirect(safe_next_url(form.next.data) or url_for("projects.index"))
    status = 401 if form.form_errors else (422 if form.errors else 200)
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            # A copy of this session's cookie must not outlive it; the
            # version ends every session of the account (a signed cookie
            # cannot be told apart from its copies).
            services.end_sessions(db.session, current_user)
            db.session.commit()
        logout_user()
        flash("You are logged out.", "success")
        return redirect(url_for("projects.index"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/settings")
@login_required
def settings():
    return _settings_page()


@bp.route("/settings/password", methods=["GET", "POST"])
@form_page_on_get("accounts.settings", "#password-heading")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            done = attempt(lambda: services.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data,
                count_password_attempt), show_on=form)
        except TooManyAttempts as refusal:  # not a Problem: attempt() lets it through
            db.session.rollback()
            form.form_errors.append(refusal.message)
            return _settings_page(password_form=form), 429, {"Retry-After": str(refusal.retry_after)}
        if done.ok:
            start_session(current_user)  # this browser stays in, with the new version
            flash("Your password is changed. Every other browser you were logged in "
                  "with is logged out.", "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(password_form=form), 422


@bp.post("/settings/sessions/end")
@login_required
def end_sessions():
    if press_button(lambda: services.end_sessions(db.session, current_user),
                    lambda _: "You are logged out everywhere, this browser included. "
                              "Log in again to carry on."):
        logout_user()
        return redirect(url_for("accounts.login"))
    return redirect(url_for("accounts.settings"))


@bp.route("/settings/emails", methods=["GET", "POST"])
@form_page_on_get("accounts.settings", "#emails-heading")
@login_required
def add_email():
    form = EmailForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.add_email(db.session, current_user, form.email.data,
                                                  clock.now()), show_on=form)
        if done.ok:
            flash(f"Added {done.result.address}. We sent a link to it: open it to confirm "
                  "the address; then commits made with it count as yours.", "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(email_form=form), 422


@bp.post("/settings/emails/<int(max=2147483647):email_id>/delete")
@login_required
def remove_email(email_id: int):
    press_button(lambda: services.remove_email(db.session, current_user, email_id),
                 lambda address: f"Removed {address}.")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/emails/<int(max=2147483647):email_id>/resend")
@login_required
def resend_confirmation(email_id: int):
    press_button(lambda: services.resend_confirmation(db.session, current_user, email_id,
                                                      clock.now()),
                 lambda email: f"Sent a new link to {email.address}; the earlier ones no "
                               "longer work.")
    return redirect(url_for("accounts.settings"))


@bp.post("/settings/emails/<int(max=2147483647):email_id>/primary")
@login_required
def make_primary(email_id: int):
    press_button(lambda: services.make_primary(db.session, current_user, email_id),
                 lambda email: f"Your mail now goes to {email.address}.")
    return redirect(url_for("accounts.settings"))


@bp.get("/settings/emails/confirm/<token>")
@login_required
def confirm_email(token: str):
    """The link mailed to an address. Opening it confirms the address for
    the account that added it, which must be the one logged in: holding
    the mailbox alone is not enough to give an address to an account."""
    email = services.confirm_email(db.session, current_user, token[:2000], clock.now())
    db.session.commit()
    flash(f"Confirmed {email.address}. Commits made with it count as yours.", "success")
    return redirect(url_for("accounts.settings"))


@bp.route("/settings/tokens", methods=["GET", "POST"])
@form_page_on_get("accounts.settings", "#tokens-heading")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        days = int(form.expires_in_days.data) if form.expires_in_days.data else None
        done = attempt(lambda: services.create_token(db.session, current_user, form.name.data,
                                                     days, now=clock.now()), show_on=form)
        if done.ok:
            # Rendered, not flashed: the session cookie is signed, not secret.
            return _settings_page(new_token=done.result), 201
    return _settings_page(token_form=form), 422


@bp.post("/settings/tokens/<int(max=2147483647):token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    press_button(lambda: services.revoke_token(db.session, current_user, token_id, clock.now()),
                 lambda token: f"Revoked the token “{token.name}”. Anything using it is now refused.")
    return redirect(url_for("accounts.settings"))


@bp.route("/settings/time-zone", methods=["GET", "POST"])
@form_page_on_get("accounts.settings", "#time-zone-heading")
@login_required
def set_time_zone():
    form = TimeZoneForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.set_time_zone(db.session, current_user,
                                                      form.time_zone.data), show_on=form)
        if done.ok:
            flash(f"Times are now shown in {done.result}.", "success")
            return redirect(url_for("accounts.settings"))
    return _settings_page(zone_form=form), 422


def _settings_page(email_form=None, token_form=None, new_token=None, password_form=None,
                   zone_form=None):
    return render_template(
        "accounts/settings.html",
        email_form=email_form or EmailForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None),
        password_form=password_form or PasswordForm(formdata=None),
        zone_form=zone_form or TimeZoneForm(formdata=None,
                                            time_zone=current_user.time_zone or "UTC"),
        new_token=new_token,
    )
