"""Expense claims and payouts: a member who paid for an approved input
claims it back with evidence; above the project's approval threshold the
members decide (governance opens a ``claim`` proposal on the
``claim_pending`` signal); a treasurer records that it was paid. Each is a
journal entry folded into the stored funds and claims with ``rules.apply``."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import fund_rules, funds, rules
from commons.ledger.checks import checked_text, require_member, rule_problem
from commons.ledger.journal import append_entry, hold_journal
from commons.ledger.models import Claim, EvidenceFile, Fund, Input, LedgerEntry
from commons.ledger.queries import get_input
from commons.ledger.rules import RuleError
from commons.ledger.supply import Evidence
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Project
from commons.signals import claim_pending, claim_withdrawn

# The same shape a receipt's evidence link has (``supply``).
_URL = re.compile(r"https?://[^\s<>\"]{1,2000}")


@dataclass(frozen=True)
class ClaimForm:
    """A claim as typed (strings, or values from JSON)."""

    amount: object
    currency: object
    description: object = ""
    paid_on: object = None
    evidence_url: object = None


def record_claim(session: Session, project: Project, actor: User, number: int,
                 form: ClaimForm, *, evidence: Evidence | None = None,
                 now: datetime) -> Claim:
    """A member claims back what they paid for input *number*: approved,
    priced, in its currency, no more than what arrived is worth less what
    was claimed. Above the approval threshold the claim is pending and
    ``claim_pending`` fires (governance opens its proposal)."""
    require_member(project, actor, "claim expenses")
    description = checked_text(form.description, "What you paid for", "description", 2000,
                               required=False, multiline=True)
    url = str(form.evidence_url or "").strip() or None
    if url is not None and not _URL.fullmatch(url):
        raise Invalid("Evidence is a link starting with https:// or http://.",
                      field="evidence_url")
    if url is None and evidence is None:
        raise Invalid("Attach the receipt or invoice (a file or a link): a claim is paid "
                      "back on evidence.", field="evidence_url")
    currency = str(form.currency or "").strip().upper()
    try:
        day = rules.check_date(form.paid_on, "Paid on", "paid_on", today=now.date(),
                               not_after_today=True) or now.date().isoformat()
        amount = rules.money(form.amount, currency, "Amount", "amount")
        if amount == 0:
            raise RuleError("Amount must be more than zero.", "amount")
    except RuleError as error:
        raise rule_problem(error) from None
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    refusal = _claim_refusal(session, need, currency, amount)
    if refusal is not None:
        message, field = refusal
        raise (Conflict(message, field=field) if field == "input"
               else Invalid(message, field=field))
    pending = rules.needs_proposal((amount, currency), project.approval_amount,
                                   project.approval_currency)
    data = {"input": number, "claimant": actor.username, "amount": rules.text(amount),
            "currency": currency, "date": day, "description": description,
            "evidence_url": url,
            "evidence": {"sha256": evidence.sha256, "size": evidence.size,
                         "name": evidence.name, "type": evidence.type} if evidence else None,
            "approval": fund_rules.PENDING if pending else fund_rules.APPROVED}
    entry = append_entry(session, project, held, actor, "claim", data, now, number)
    if evidence is not None:
        session.add(EvidenceFile(project_id=project.id, sha256=evidence.sha256, seq=entry.seq))
    claim = Claim(project_id=project.id, seq=entry.seq, input=need, claimant=actor,
                  amount=amount, currency=currency, description=description,
                  status=fund_rules.PENDING, created_at=now)
    session.add(claim)
    _fold(session, project, entry, data, claim)
    if pending:
        claim_pending.send(project, claim=claim, actor=actor, now=now)
    return claim


def _claim_refusal(session: Session, need: Input, currency: str,
                   amount: Decimal) -> tuple[str, str] | None:
    """(why, the field to fix) if the claim is refused."""
    priced = fund_rules.priced_in(need.unit, need.unit_cost, need.currency)
    is_money = need.unit in rules.currencies()
    left = fund_rules.claimable(need.received, need.unit_cost, priced,
                                funds.claimed_for(session, need.id)) \
        if priced is not None and need.unit_cost is not None else amount
    message = fund_rules.claim_refusal(need.number, need.title, need.approved, priced,
                                       is_money, currency, amount, left)
    if message is None:
        return None
    if not need.approved or is_money or priced is None:
        return message, "input"
    return message, "currency" if currency != priced else "amount"


def approve_claim(session: Session, project: Project, seq: int, proposal: int,
                  now: datetime) -> Claim:
    """Carry out a passed `claim` proposal: the claim is owed."""
    held = hold_journal(session, project)
    claim = funds.get_claim(session, project, seq)
    if claim.status == fund_rules.REFUSED:
        raise Conflict(f"Claim #{seq} was refused or withdrawn before this proposal passed; "
                       "the claimant may claim again.")
    if claim.status != fund_rules.PENDING:
        return claim
    assert claim.input is not None, "an expense claim (share 0) always has its input"
    data = {"input": claim.input.number, "claim": seq, "proposal": proposal}
    entry = append_entry(session, project, held, None, "claim_approve", data, now,
                         claim.input.number)
    _fold(session, project, entry, data, claim)
    return claim


def refuse_claim(session: Session, project: Project, seq: int, reason: str,
                 proposal: int | None, now: datetime, actor: User | None = None
                 ) -> Claim | None:
    """Append ``claim_refuse`` for claim *seq*: its `claim` proposal
    (number *proposal*) was decided without passing ("refused") or
    withdrawn ("withdrawn"), or its claimant withdrew it ("withdrawn by the
    claimant", *actor*). A refused claim is never paid and no longer counts
    against what may be claimed on its input. Nothing is appended for a
    claim paid or refused already (a decision and a withdrawal may cross);
    returns the claim if it was refused now, else None."""
    assert reason in fund_rules.REFUSAL_REASONS
    held = hold_journal(session, project)
    claim = funds.get_claim(session, project, seq)
    session.refresh(claim)  # as it is now that the head is held
    if fund_rules.withdrawal_refusal(seq, claim.status) is not None or claim.input is None:
        return None
    data = {"input": claim.input.number, "claim": seq, "reason": reason,
            "proposal": proposal}
    entry = append_entry(session, project, held, actor, "claim_refuse", data, now,
                         claim.input.number)
    _fold(session, project, entry, data, claim)
    return claim


def withdraw_claim(session: Session, project: Project, actor: User, seq: int,
                   now: datetime) -> Claim:
    """The claimant withdraws their own claim while it is pending or
    approved and unpaid: a ``claim_refuse`` entry ("withdrawn by the
    claimant"), and its open `claim` proposal, if any, is withdrawn
    (``claim_withdrawn``, in this transaction, after the journal head)."""
    held = hold_journal(session, project)
    claim = funds.get_claim(session, project, seq)
    session.refresh(claim)
    if claim.claimant_id is None or claim.claimant_id != actor.id:
        raise Forbidden("Only the member who made a claim withdraws it.")
    if refusal := fund_rules.withdrawal_refusal(seq, claim.status):
        raise Conflict(refusal)
    if claim.input is None:  # expense claims (share 0) always name their input
        raise Conflict(f"Claim #{seq} is not an expense claim.")
    data = {"input": claim.input.number, "claim": seq, "reason": "withdrawn by the claimant",
            "proposal": None}
    entry = append_entry(session, project, held, actor, "claim_refuse", data, now,
                         claim.input.number)
    _fold(session, project, entry, data, claim)
    claim_withdrawn.send(project, claim=claim, actor=actor, now=now)
    return claim


def record_payout(session: Session, project: Project, actor: User, seq: int,
                  method: object, reference: object = "", paid_on: object = None, *,
                  now: datetime, share: int = 0) -> Claim:
    """A treasurer records that claim *seq* (or share *share* of
    distribution entry *seq*) was paid: how, with what reference, on which
    day. Once per claim, only when approved, never above the project's
    funds in its currency (checked under the journal head, so two
    treasurers paying at once cannot both pass)."""
    if not funds.is_treasurer(project, actor):
        raise Forbidden(f"Only a treasurer of {project.name} records payouts. The members "
                        "name treasurers by a policy proposal.")
    method = checked_text(method, "Method", "method", 40)
    reference = checked_text(reference, "Reference", "reference", 200, required=False)
    try:
        day = rules.check_date(paid_on, "Paid on", "paid_on", today=now.date(),
                               not_after_today=True) or now.date().isoformat()
    except RuleError as error:
        raise rule_problem(error) from None
    held = hold_journal(session, project)
    claim = funds.get_claim(session, project, seq, share)
    session.refresh(claim)  # as it is now that the head is held, not as first read
    fund = session.get(Fund, (project.id, claim.currency))
    available = fund.balance if fund is not None else fund_rules.zero(claim.currency)
    set_aside = None if claim.share else funds.owed_to_shares(session, project, claim.currency)
    if refusal := fund_rules.payout_refusal(claim.number, claim.status, claim.amount,
                                            claim.currency, available, set_aside):
        raise Conflict(refusal)
    number = claim.input.number if claim.input is not None else None
    data = {"input": number, "claim": seq, "amount": rules.text(claim.amount),
            "currency": claim.currency,
            "payee": claim.claimant.username if claim.claimant else None,
            "method": method, "reference": reference, "date": day}
    if share:
        data["share"] = share
    entry = append_entry(session, project, held, actor, "payout", data, now, number)
    claim.method, claim.reference = method, reference or None
    claim.paid_on = date.fromisoformat(day)
    _fold(session, project, entry, data, claim)
    return claim


def _fold(session: Session, project: Project, entry: LedgerEntry, data: dict,
          claim: Claim) -> None:
    """Apply a claim action to the stored claim and fund through
    ``rules.apply``."""
    balances = rules.Balances()
    funds.load_fund(session, project, balances, claim.currency)
    if entry.action != "claim":
        balances.claims[claim.seq, claim.share] = fund_rules.ClaimBalance(
            seq=claim.seq, input=claim.input.number if claim.input else None, claimant="",
            amount=claim.amount, currency=claim.currency,
            approved=claim.status in (fund_rules.APPROVED, fund_rules.PAID),
            paid_seq=claim.paid_seq, share=claim.share,
            refused=claim.status == fund_rules.REFUSED)
    rules.apply(balances, entry.seq, entry.action, data)
    folded = balances.claims[claim.seq, claim.share]
    claim.status, claim.paid_seq = folded.status, folded.paid_seq
    funds.store_funds(session, project, balances)
    session.flush()
