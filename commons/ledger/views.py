"""The ledger's pages: a project's ledger and chart, each input's history
and forms, the journal and corrections, logged work, evidence files, and
the platform-wide needs board. Reading a project's ledger decides its due
proposals first, so a passed input proposal has approved its input."""

import dataclasses
from decimal import Decimal
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from commons import clock
from commons.extensions import db
from commons.forms import press_button, show_problem
from commons.governance import services as governance
from commons.governance.views import decide_due_for
from commons.ledger import chart, evidence, retention, rules, services
from commons.ledger.forms import (
    CloseForm,
    ConsumptionForm,
    CorrectionForm,
    InputForm,
    PledgeForm,
    ReceiptForm,
    WorkForm,
)
from commons.ledger.uploads import store_upload
from commons.problems import Invalid, NotFound, Problem
from commons.projects import services as projects

bp = Blueprint("ledger", __name__)

PAGE = 50
MAX_INT = 2147483647
INPUT = "/projects/<slug>/inputs/<int(max=2147483647):number>"
# Served inline-safe types only; anything else downloads as bytes.
SAFE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
              "text/plain"}


@bp.app_template_filter("figure")
def figure_filter(amount, unit: str | None = None) -> str:
    if amount is None or amount == "":
        return ""
    return chart.figure(amount if isinstance(amount, Decimal) else Decimal(str(amount)), unit)


@bp.url_value_preprocessor
def allow_evidence_uploads(endpoint: str | None, values: dict | None) -> None:
    """A receipt may carry an evidence file larger than the site's request
    limit. The limit has to change before anything reads the body, and the
    request guards and the CSRF check read it before any view runs; URL
    value preprocessors run before both."""
    if endpoint != "ledger.receipt" or request.method != "POST":
        return
    most = int(current_app.config["EVIDENCE_MAX_BYTES"])
    request.max_content_length = most + 64 * 1024  # the file and the form around it
    if request.content_length and request.content_length > request.max_content_length:
        raise RequestEntityTooLarge(evidence.too_large(most) + " Nothing was recorded.")


# ---------------------------------------------------------------- loading

def _project(slug: str, decide: bool = True):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as problem:
        abort(404, description=problem.message)
    if decide:
        decide_due_for(project)
    return project


def _input(project, number: int):
    try:
        return services.get_input(db.session, project, number)
    except NotFound as problem:
        abort(404, description=problem.message)


def _is_member(project) -> bool:
    return current_user.is_authenticated and project.is_member(current_user)


def _members_only(project, what: str) -> None:
    if not _is_member(project):
        abort(403, description=f"Only members of {project.name} {what}. Join the project on "
                               "its page first, then come back.")


def _cursor() -> int | None:
    before = request.args.get("before", type=int)
    return before if before is not None and 0 < before <= MAX_INT else None


def _open_proposal(project, need):
    if need.approved or need.closed:
        return None
    return governance.open_input_proposal(db.session, project, need.number)


def _status(form, problem: Problem | None = None) -> int:
    if problem is not None:
        return problem.status
    return 422 if form.errors or form.form_errors else 200


# ---------------------------------------------------------------- the ledger

INPUTS_PER_PAGE = 50

@bp.route("/projects/<slug>/ledger", endpoint="ledger")
def ledger_page(slug: str):
    project = _project(slug)
    after = request.args.get("after", type=int)
    after = after if after is not None and 0 <= after <= MAX_INT else None
    # A page of inputs, and the chart of the first open ones: the page costs
    # the same with 20 inputs or 20,000.
    inputs = services.list_inputs(db.session, project, after=after, limit=INPUTS_PER_PAGE + 1)
    more = len(inputs) > INPUTS_PER_PAGE
    inputs = inputs[:INPUTS_PER_PAGE]
    charted = services.list_inputs(db.session, project, not_closed=True,
                                   limit=chart.MAX_ROWS)
    drawn = chart.layout(charted)
    if len(charted) == chart.MAX_ROWS:
        drawn = dataclasses.replace(drawn, omitted=services.count_inputs(
            db.session, project, not_closed=True) - len(drawn.rows))
    return render_template(
        "ledger/ledger.html", project=project, inputs=inputs, member=_is_member(project),
        totals=services.totals(db.session, project), head=services.head(db.session, project),
        chart=drawn, series=chart.SERIES, after=after,
        next_after=inputs[-1].number if more else None)


@bp.route("/projects/<slug>/inputs/new", methods=["GET", "POST"])
@login_required
def new_input(slug: str):
    project = _project(slug)
    _members_only(project, "record what it needs")
    form = InputForm()
    problem = None
    if form.validate_on_submit():
        try:
            need = services.record_need(db.session, project, current_user, services.NeedForm(
                title=form.title.data, kind=form.kind.data, quantity=form.quantity.data,
                unit=form.unit.data, unit_cost=form.unit_cost.data, currency=form.currency.data,
                needed_by=form.needed_by.data, description=form.description.data or ""),
                clock.now())
            db.session.commit()
        except Problem as raised:
            db.session.rollback()
            show_problem(form, problem := raised)
        else:
            flash(_recorded(project, need), "success")
            return redirect(url_for("ledger.input", slug=slug, number=need.number))
    return render_template("ledger/new.html", project=project, form=form,
                           units=[*rules.UNITS, "EUR", "USD", "GBP", "CHF", "JPY"]), \
        _status(form, problem)


def _recorded(project, need) -> Markup:
    if need.approved:
        return Markup("Input #{} ({}) is approved: anyone logged in can pledge to it now.") \
            .format(need.number, need.title)
    proposal = _open_proposal(project, need)
    said = Markup("Input #{} ({}) is pending: its estimated cost is above {}'s approval "
                  "threshold ({} {}) or in another currency, so the members decide. ").format(
        need.number, need.title, project.name, chart.figure(project.approval_amount),
        project.approval_currency)
    if proposal is None:
        return said + "Open an input proposal to approve it."
    return said + Markup('<a href="{}">Proposal #{}</a> asks them; pledges are welcome '
                         "meanwhile.").format(
        url_for("governance.show", slug=project.slug, number=proposal.number), proposal.number)


# ---------------------------------------------------------------- one input

@bp.route(INPUT, endpoint="input")
def show_input(slug: str, number: int):
    return _input_page(_project(slug), number)


def _input_page(project, number: int, bound: dict | None = None, status: int = 200):
    need = _input(project, number)
    bound = bound or {}
    forms = {
        "pledge": PledgeForm(prefix="pledge", formdata=None),
        "receipt": ReceiptForm(prefix="receipt", formdata=None),
        "consumption": ConsumptionForm(prefix="consumption", formdata=None),
        "close": CloseForm(prefix="close", formdata=None),
        **bound,
    }
    to_come = [p for p in need.pledges if not p.withdrawn and p.received < p.quantity]
    forms["receipt"].pledge.choices = [
        (services.PROVIDERS_PLEDGE, "The provider's own pledge, if they made one"),
        ("", "None: not against a pledge")] + [
        (str(p.seq), f"#{p.seq} by {p.pledger.username if p.pledger else 'a former account'}: "
                     f"{chart.figure(p.quantity - p.received, need.unit)} {need.unit} to come")
        for p in to_come]
    if "receipt" not in bound:
        # A member recording a delivery most often records their own.
        mine = next((p for p in to_come if current_user.is_authenticated
                     and p.pledger_id == current_user.id), None)
        forms["receipt"].pledge.data = str(mine.seq) if mine else services.PROVIDERS_PLEDGE
    before = _cursor()
    history = services.journal(db.session, project, before=before, input_number=number,
                               limit=PAGE)
    return render_template(
        "ledger/input.html", project=project, need=need, forms=forms, member=_is_member(project),
        no_pledge=services.no_pledge(need), no_receipt=services.no_receipt(need),
        proposal=_open_proposal(project, need), history=history, data=services.entry_data,
        inputs={need.number: need}, correctable=rules.CORRECTABLE,
        older=history[-1].seq if len(history) == PAGE else None), status


def _submit(project, number: int, key: str, form, action, message):
    """One of the input page's forms: carry it out, or show the page again
    with the problem beside the field and everything typed kept."""
    problem = None
    if form.validate_on_submit():
        try:
            result = action()
            db.session.commit()
        except Problem as raised:
            db.session.rollback()
            show_problem(form, problem := raised)
        else:
            flash(message(result), "success")
            return redirect(url_for("ledger.input", slug=project.slug, number=number))
    return _input_page(project, number, {key: form}, problem.status if problem else 422)


@bp.post(INPUT + "/pledges")
@login_required
def pledge(slug: str, number: int):
    project = _project(slug)
    form = PledgeForm(prefix="pledge")
    return _submit(project, number, "pledge", form, lambda: services.pledge(
        db.session, project, current_user, number, form.quantity.data, form.note.data or "",
        now=clock.now()), lambda row: f"You pledged {chart.figure(row.quantity, row.input.unit)} "
                                  f"{row.input.unit} of {row.input.title}. Thank you!")


@bp.post(INPUT + "/receipts")
@login_required
def receipt(slug: str, number: int):
    project = _project(slug)
    form = ReceiptForm(prefix="receipt")

    def record():
        upload = store_upload(form.evidence_file.data, Path(current_app.config["EVIDENCE_DIR"]),
                              int(current_app.config["EVIDENCE_MAX_BYTES"]))
        try:
            if upload:
                retention.record_upload(
                    db.session, project, current_user, upload.evidence.sha256,
                    upload.evidence.size, quota=retention.Quota.from_config(current_app.config),
                    now=clock.now())
            entry = services.record_receipt(
                db.session, project, current_user, number, form.quantity.data,
                form.provider.data or "", received_on=form.date.data,
                evidence_url=form.evidence_url.data, pledge_seq=form.pledge.data,
                evidence=upload.evidence if upload else None, now=clock.now())
        except BaseException:
            if upload:
                upload.discard()
            raise
        if upload:
            upload.keep()  # before the commit: a committed receipt's file exists
        return entry

    return _submit(project, number, "receipt", form, record,
                   lambda entry: f"Receipt recorded as entry #{entry.seq}.")


@bp.post(INPUT + "/consumptions")
@login_required
def consumption(slug: str, number: int):
    project = _project(slug)
    form = ConsumptionForm(prefix="consumption")
    return _submit(project, number, "consumption", form, lambda: services.record_consumption(
        db.session, project, current_user, number, form.quantity.data, form.purpose.data,
        commit=form.commit.data, proposal=form.proposal.data, used_on=form.date.data,
        now=clock.now()), lambda entry: f"Use recorded as entry #{entry.seq}.")


@bp.post(INPUT + "/close")
@login_required
def close(slug: str, number: int):
    project = _project(slug)
    form = CloseForm(prefix="close")
    return _submit(project, number, "close", form, lambda: services.close_input(
        db.session, project, current_user, number, form.reason.data, clock.now()),
        lambda need: f"Input #{need.number} is closed.")


@bp.post("/projects/<slug>/pledges/<int(max=2147483647):seq>/withdraw")
@login_required
def withdraw(slug: str, seq: int):
    project = _project(slug)
    try:
        number = services.get_entry(db.session, project, seq).input_number
    except NotFound as problem:
        abort(404, description=problem.message)
    press_button(lambda: services.withdraw_pledge(db.session, project, current_user, seq,
                                                  clock.now()),
                 lambda _: f"Pledge #{seq} is withdrawn; what was delivered stays recorded.")
    if number is None:
        return redirect(url_for("ledger.ledger", slug=slug))
    return redirect(url_for("ledger.input", slug=slug, number=number))


# ---------------------------------------------------------------- the journal

@bp.route("/projects/<slug>/ledger/journal")
def journal(slug: str):
    project = _project(slug)
    entries = services.journal(db.session, project, before=_cursor(), limit=PAGE)
    return render_template(
        "ledger/journal.html", project=project, entries=entries, data=services.entry_data,
        inputs=services.inputs_numbered(db.session, project,
                                        (e.input_number for e in entries if e.input_number)),
        member=_is_member(project), head=services.head(db.session, project),
        correctable=rules.CORRECTABLE,
        older=entries[-1].seq if len(entries) == PAGE and entries[-1].seq > 1 else None)


@bp.route("/projects/<slug>/ledger/<int(max=2147483647):seq>/correct", methods=["GET", "POST"])
@login_required
def correct(slug: str, seq: int):
    project = _project(slug)
    try:
        entry = services.get_entry(db.session, project, seq)
    except NotFound as missing:
        abort(404, description=missing.message)
    allowed = rules.CORRECTABLE.get(entry.action)
    if allowed is None:
        abort(409, description=f"Entry #{seq} is a {entry.action} entry: it has no amounts to "
                               "correct. Record a new entry instead.")
    if entry.actor_id != current_user.id and not _is_member(project):
        abort(403, description=f"Members of {project.name} correct entries, and anyone their "
                               "own. Join the project first.")
    form = CorrectionForm()
    problem = None
    if form.validate_on_submit():
        deltas = {key: getattr(form, key).data for key in allowed if getattr(form, key).data}
        try:
            if not deltas:
                raise Invalid("Give the change to make to at least one amount.",
                              field=allowed[0])
            fixed = services.correct(db.session, project, current_user, seq, deltas,
                                     form.reason.data, clock.now())
            db.session.commit()
        except Problem as raised:
            db.session.rollback()
            show_problem(form, problem := raised)
        else:
            flash(f"Entry #{fixed.seq} corrects entry #{seq}; the original stays as it was.",
                  "success")
            return redirect(url_for("ledger.journal", slug=slug) + f"#entry-{fixed.seq}")
    inputs = services.inputs_numbered(db.session, project, [entry.input_number]) \
        if entry.input_number else {}
    if entry.input_number and (need := inputs.get(entry.input_number)):
        form.quantity.label.text += f" (in {need.unit})"
        form.unit_cost.label.text += f" (in {need.currency})" if need.currency else ""
    return render_template("ledger/correct.html", project=project, entry=entry, form=form,
                           allowed=allowed, data=services.entry_data, inputs=inputs), \
        _status(form, problem)


# ---------------------------------------------------------------- work

@bp.route("/projects/<slug>/work", methods=["GET", "POST"])
def work(slug: str):
    project = _project(slug)
    form = WorkForm()
    problem = None
    if request.method == "GET":
        form.date.data = clock.now().date().isoformat()
    elif not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    elif form.validate_on_submit():
        try:
            logged = services.log_work(db.session, project, current_user, form.hours.data,
                                       form.category.data, form.description.data,
                                       form.date.data, now=clock.now(),
                                       max_days_back=current_app.config["WORK_MAX_DAYS_BACK"])
            db.session.commit()
        except Problem as raised:
            db.session.rollback()
            show_problem(form, problem := raised)
        else:
            flash(f"Logged {chart.figure(logged.hours)} hours of "
                  f"{rules.WORK_CATEGORIES[logged.category].lower()} work.", "success")
            return redirect(url_for("ledger.work", slug=slug))
    return render_template("ledger/work.html", project=project, form=form,
                           member=_is_member(project), categories=rules.WORK_CATEGORIES,
                           logs=services.recent_work(db.session, project, PAGE)), \
        _status(form, problem) if request.method == "POST" else 200


# ---------------------------------------------------------------- evidence

@bp.route("/projects/<slug>/evidence/<sha256>", endpoint="evidence")
def evidence_file(slug: str, sha256: str):
    project = _project(slug, decide=False)
    path = evidence.path_for(Path(current_app.config["EVIDENCE_DIR"]), sha256)
    entry = services.evidence_receipt(db.session, project, sha256) if path else None
    if path is None or entry is None or not path.is_file():
        abort(404, description=f"{project.name}'s ledger names no evidence file {sha256[:64]}.")
    said = services.entry_data(entry)["evidence"]
    kind = said.get("type") if said.get("type") in SAFE_TYPES else "application/octet-stream"
    response = send_file(path, mimetype=kind, as_attachment=True,
                         download_name=said.get("name") or f"evidence-{sha256[:12]}",
                         max_age=3600)
    # A file someone uploaded never runs as a page of this site.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- needs board

@bp.route("/needs")
def needs():
    return render_template("ledger/needs.html",
                           groups=chart.needs_board(services.open_needs(db.session)))
