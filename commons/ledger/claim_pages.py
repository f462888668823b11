"""Expense claims' pages: claiming on an input's page (with evidence), the
project's claims and funds with the treasurer's payout form."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from commons import clock, paging
from commons.extensions import db
from commons.forms import attempt, form_page_on_get, press_button
from commons.ledger import chart, services
from commons.ledger.blueprint import bp, form_status, is_member, load_project
from commons.ledger.forms import ClaimForm, PayoutForm
from commons.ledger.input_pages import INPUT, _submit, with_uploaded_evidence

SEQ = "<int(max=2147483647):seq>"


@bp.route(INPUT + "/claims", methods=["GET", "POST"], endpoint="claim")
@form_page_on_get("ledger.input", "#claim-form")
@login_required
def claim(slug: str, number: int):
    project = load_project(slug)
    form = ClaimForm(prefix="claim")

    def record():
        return with_uploaded_evidence(project, form, lambda evidence: services.record_claim(
            db.session, project, current_user, number, services.ClaimForm(
                amount=form.amount.data, currency=form.currency.data,
                description=form.description.data or "", paid_on=form.date.data,
                evidence_url=form.evidence_url.data),
            evidence=evidence, now=clock.now()))

    return _submit(project, number, "claim", form, record, _claimed)


def _claimed(made) -> str:
    amount = f"{chart.figure(made.amount, made.currency)} {made.currency}"
    if made.status == "pending":
        return (f"Expense claim #{made.seq} ({amount}) is recorded. It is above the approval "
                "threshold, so a proposal asks the members first.")
    return f"Expense claim #{made.seq} ({amount}) is recorded; a treasurer will pay it."


@bp.app_template_global()
def claim_url(slug: str, seq: int, share: int = 0) -> str:
    """Claim *seq* (share *share* of a distribution) on the claims page:
    the page that starts at it, wherever it falls in the newest-first
    list, and its anchor."""
    number = f"{seq}.{share}" if share else str(seq)
    return url_for("ledger.claims", slug=slug,
                   cursor=paging.encode((seq, share - 1))) + f"#claim-{number}"


@bp.route("/projects/<slug>/ledger/claims", endpoint="claims")
def claims_page(slug: str, bound: tuple[str, PayoutForm] | None = None, status: int = 200,
                at: tuple[int, int] | None = None):
    project = load_project(slug)
    treasurer = current_user.is_authenticated and services.is_treasurer(project, current_user)
    cursor = request.args.get("cursor")
    seq = request.args.get("seq", type=int)
    if at is None and cursor is None and seq is not None:
        # A payout's or withdrawal's address opened with GET comes here
        # with the claim's seq (and share): the page that starts at it.
        return redirect(claim_url(slug, seq, request.args.get("share", 0, type=int)))
    try:
        after = at or (services.claim_cursor(cursor) if cursor else None)
    except paging.BadCursor as problem:
        abort(400, description=problem.message)
    claims, next_key = services.list_claims(db.session, project, after=after)
    funds = {fund.currency: fund for fund in services.project_funds(db.session, project)}
    # What expenses cannot spend: money passed distributions owe their shares.
    set_aside = {currency: owed for currency in funds
                 if (owed := services.owed_to_shares(db.session, project, currency))}
    return render_template(
        "ledger/claims.html", project=project, member=is_member(project), treasurer=treasurer,
        claims=claims, later=after is not None,
        following=url_for("ledger.claims", slug=slug, cursor=paging.encode(next_key))
        if next_key else None,
        funds=funds, set_aside=set_aside, treasurers=services.treasurers(project), bound=bound,
        payout_form=lambda number: bound[1] if bound and bound[0] == number
        else PayoutForm(prefix=f"payout-{number}", formdata=None)), status


@bp.route(f"/projects/<slug>/claims/{SEQ}/withdrawal", methods=["GET", "POST"],
          endpoint="claim_withdrawal")
@form_page_on_get("ledger.claims")
@login_required
def claim_withdrawal(slug: str, seq: int):
    """The claimant's button: withdraw their own claim (not yet paid)."""
    project = load_project(slug)
    press_button(lambda: services.withdraw_claim(db.session, project, current_user, seq,
                                                 clock.now()),
                 lambda _: f"Claim #{seq} is withdrawn; it stays in the journal, refused, "
                           "and is not paid.")
    return redirect(claim_url(slug, seq))


@bp.route(f"/projects/<slug>/claims/{SEQ}/payouts", methods=["GET", "POST"], endpoint="payout")
@form_page_on_get("ledger.claims")
@login_required
def payout(slug: str, seq: int):
    return _pay(slug, seq, 0)


@bp.route(f"/projects/<slug>/claims/{SEQ}/shares/<int(min=1, max=2147483647):share>/payouts",
          methods=["GET", "POST"], endpoint="share_payout")
@form_page_on_get("ledger.claims")
@login_required
def share_payout(slug: str, seq: int, share: int):
    """The payout of a distribution's share (issue 20): as an expense claim's."""
    return _pay(slug, seq, share)


def _pay(slug: str, seq: int, share: int):
    project = load_project(slug)
    number = f"{seq}.{share}" if share else str(seq)
    form = PayoutForm(prefix=f"payout-{number}")
    problem = None
    if form.validate_on_submit():
        done = attempt(lambda: services.record_payout(
            db.session, project, current_user, seq, form.method.data, form.reference.data or "",
            form.date.data, now=clock.now(), share=share), show_on=form)
        problem = done.problem
        if done.ok:
            paid = done.result
            flash(f"Claim #{number} is paid: {chart.figure(paid.amount, paid.currency)} "
                  f"{paid.currency} to {paid.claimant.username if paid.claimant else 'a former account'}.",
                  "success")
            return redirect(claim_url(slug, seq, share))
    # Shown again on the page that starts at the claim, its form filled in.
    return claims_page(slug, (number, form), form_status(form, problem), at=(seq, share - 1))
