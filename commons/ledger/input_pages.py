"""One input's pages: recording a need, the input's history and its forms
(pledge, receipt with evidence, use, close), and withdrawing a pledge."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from commons import clock, paging
from commons.extensions import db
from commons.forms import attempt, form_page_on_get, press_button
from commons.governance import services as governance
from commons.ledger import chart, recurring, retention, rules, services
from commons.ledger.blueprint import (
    PAGE,
    bp,
    form_status,
    is_member,
    load_input,
    load_project,
    members_only,
    page_before,
)
from commons.ledger.forms import (
    ClaimForm,
    CloseForm,
    ConsumptionForm,
    InputForm,
    PledgeForm,
    ReceiptForm,
)
from commons.ledger.uploads import store_upload
from commons.problems import NotFound

INPUT = "/projects/<slug>/inputs/<int(max=2147483647):number>"


def _open_proposal(project, need):
    if need.approved or need.closed:
        return None
    return governance.open_input_proposal(db.session, project, need.number)


@bp.route("/projects/<slug>/inputs/new", methods=["GET", "POST"])
@login_required
def new_input(slug: str):
    project = load_project(slug)
    members_only(project, "record what it needs")
    form = InputForm()
    problem = None
    previewing = request.method == "POST" and request.form.get("action") == "preview"
    if not previewing and form.validate_on_submit():
        done = attempt(lambda: services.record_need(
            db.session, project, current_user, services.NeedForm(
                title=form.title.data, kind=form.kind.data, quantity=form.quantity.data,
                unit=form.unit.data, unit_cost=form.unit_cost.data, currency=form.currency.data,
                needed_by=form.needed_by.data, description=form.description.data or "",
                recurs=form.recurs.data, starts=form.starts.data),
            clock.now()), show_on=form)
        problem = done.problem
        if done.ok:
            need = done.result
            flash(_recorded(project, need), "success")
            return redirect(url_for("ledger.input", slug=slug, number=need.number))
    return render_template("ledger/new.html", project=project, form=form,
                           preview=form.description.data or "" if previewing else None), \
        form_status(form, problem)


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
    return _input_page(load_project(slug), number)


def _input_page(project, number: int, bound: dict | None = None, status: int = 200):
    need = recurring.as_of(load_input(project, number), clock.now().date())
    bound = bound or {}
    forms = {
        "pledge": PledgeForm(prefix="pledge", formdata=None),
        "receipt": ReceiptForm(prefix="receipt", formdata=None),
        "consumption": ConsumptionForm(prefix="consumption", formdata=None),
        "close": CloseForm(prefix="close", formdata=None),
        "claim": ClaimForm(prefix="claim", formdata=None, currency=need.currency),
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
    before = page_before()
    history = services.journal(db.session, project, before=before, input_number=number,
                               limit=PAGE)
    claims, next_key = services.list_claims(db.session, project, input_id=need.id)
    older_claims = url_for("ledger.claims", slug=project.slug, cursor=paging.encode(next_key)) \
        if next_key else None
    return render_template(
        "ledger/input.html", project=project, need=need, forms=forms, member=is_member(project),
        no_pledge=services.no_pledge(need), no_receipt=services.no_receipt(need),
        proposal=_open_proposal(project, need), history=history, data=services.entry_data,
        inputs={need.number: need}, correctable=rules.CORRECTABLE,
        older=history[-1].seq if len(history) == PAGE else None,
        claims=claims, older_claims=older_claims), status


def _submit(project, number: int, key: str, form, action, message):
    """One of the input page's forms: carry it out, or show the page again
    with the problem beside the field and everything typed kept."""
    problem = None
    if form.validate_on_submit():
        done = attempt(action, show_on=form)
        problem = done.problem
        if done.ok:
            flash(message(done.result), "success")
            return redirect(url_for("ledger.input", slug=project.slug, number=number))
    return _input_page(project, number, {key: form}, problem.status if problem else 422)


@bp.route(INPUT + "/pledges", methods=["GET", "POST"])
@form_page_on_get("ledger.input", "#pledge-heading")
@login_required
def pledge(slug: str, number: int):
    project = load_project(slug)
    form = PledgeForm(prefix="pledge")
    return _submit(project, number, "pledge", form, lambda: services.pledge(
        db.session, project, current_user, number, form.quantity.data, form.note.data or "",
        now=clock.now()), lambda row: f"You pledged {chart.figure(row.quantity, row.input.unit)} "
                                  f"{row.input.unit} of {row.input.title}. Thank you!")


@bp.route(INPUT + "/receipts", methods=["GET", "POST"])
@form_page_on_get("ledger.input", "#receipt-form")
@login_required
def receipt(slug: str, number: int):
    project = load_project(slug)
    form = ReceiptForm(prefix="receipt")

    def record():
        return with_uploaded_evidence(project, form, write)

    def write(evidence):
        return services.record_receipt(
            db.session, project, current_user, number, form.quantity.data,
            form.provider.data or "", received_on=form.date.data,
            evidence_url=form.evidence_url.data, pledge_seq=form.pledge.data,
            evidence=evidence, now=clock.now())

    return _submit(project, number, "receipt", form, record,
                   lambda entry: f"Receipt recorded as entry #{entry.seq}.")


@bp.route(INPUT + "/consumptions", methods=["GET", "POST"])
@form_page_on_get("ledger.input", "#consumption-form")
@login_required
def consumption(slug: str, number: int):
    project = load_project(slug)
    form = ConsumptionForm(prefix="consumption")
    return _submit(project, number, "consumption", form, lambda: services.record_consumption(
        db.session, project, current_user, number, form.quantity.data, form.purpose.data,
        commit=form.commit.data, proposal=form.proposal.data, used_on=form.date.data,
        now=clock.now()), lambda entry: f"Use recorded as entry #{entry.seq}.")


@bp.route(INPUT + "/close", methods=["GET", "POST"])
@form_page_on_get("ledger.input", "#close-form")
@login_required
def close(slug: str, number: int):
    project = load_project(slug)
    form = CloseForm(prefix="close")
    return _submit(project, number, "close", form, lambda: services.close_input(
        db.session, project, current_user, number, form.reason.data, clock.now()),
        lambda need: f"Input #{need.number} is closed.")


@bp.post("/projects/<slug>/pledges/<int(max=2147483647):seq>/withdraw")
@login_required
def withdraw(slug: str, seq: int):
    project = load_project(slug)
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


def with_uploaded_evidence(project, form, write):
    """*write(evidence)* with the form's uploaded file (if any) stored and
    counted against the project's quota: the file is kept when *write*
    returns, discarded when it raises (so a refused entry leaves none)."""
    upload = store_upload(form.evidence_file.data, Path(current_app.config["EVIDENCE_DIR"]),
                          int(current_app.config["EVIDENCE_MAX_BYTES"]))
    try:
        if upload:
            retention.record_upload(
                db.session, project, current_user, upload.evidence.sha256,
                upload.evidence.size, quota=retention.Quota.from_config(current_app.config),
                now=clock.now())
        made = write(upload.evidence if upload else None)
    except BaseException:
        if upload:
            upload.discard()
        raise
    if upload:
        upload.keep()  # before the commit: a committed entry's file exists
    return made
