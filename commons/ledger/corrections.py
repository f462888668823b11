"""Corrections: an entry that fixes an earlier one with signed deltas and
a reason; nothing in the journal is ever edited or deleted."""

import json
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.checks import checked_text, rule_problem
from commons.ledger.journal import append_entry, fold_entry, hold_journal
from commons.ledger.models import Fund, Input, LedgerEntry, WorkLog
from commons.ledger.queries import entry_data, get_entry, get_input
from commons.ledger.rules import RuleError
from commons.ledger.work import check_day
from commons.money import currencies
from commons.problems import Forbidden, Invalid
from commons.projects.models import Project
from commons.signals import input_changed


def correct(session: Session, project: Project, actor: User, seq: int, deltas: dict,
            reason: object, now: datetime) -> LedgerEntry:
    """Fix a mistake with an entry that references the original, carrying
    signed deltas and a reason. Members correct any entry; anyone their own."""
    reason = checked_text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_journal(session, project)
    original = get_entry(session, project, seq)
    said = entry_data(original)
    if original.action == "correct":
        raise Invalid(f"Entry #{seq} is itself a correction; correct entry "
                      f"#{said['corrects']} instead.", field="corrects")
    if original.actor_id != actor.id and not project.is_member(actor):
        raise Forbidden(f"Members of {project.name} correct entries, and anyone their own.")
    need = get_input(session, project, said["input"]) if "input" in said else None
    try:
        changes = rules.check_correction(original.action, dict(deltas or {}),
                                         need.unit if need else "hour",
                                         need.currency if need else None)
    except RuleError as error:
        raise rule_problem(error) from None
    data: dict = {"corrects": seq, "action": original.action, "reason": reason,
                  "deltas": {key: rules.text(value) for key, value in changes.items()}}
    if original.action == "work":
        work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                       WorkLog.seq == seq))
        new_hours = work.hours + changes["hours"]
        if new_hours < 0:
            raise Invalid(f"Entry #{seq} logs {rules.text(work.hours)} hours; it cannot go "
                          "below zero.", field="hours")
        if changes["hours"] > 0:
            check_day(session, work.user, work.date, changes["hours"])
        data.update(worker=said["worker"], date=said["date"])
        entry = append_entry(session, project, held, actor, "correct", data, now)
        fold_entry(session, project, entry, data, None, now)
        return entry
    assert need is not None
    data["input"] = need.number
    current = _corrected_quantity(session, project, need.number, seq, said)
    _check_corrected(project, need, original.action, said, seq, changes, data, current)
    if original.action == "receipt":
        _check_funds_after(session, project, need, changes.get("quantity", Decimal(0)))
    entry = append_entry(session, project, held, actor, "correct", data, now, need.number)
    fold_entry(session, project, entry, data, need, now)
    if original.action == "need":
        input_changed.send(project, need=need, actor=actor, now=now)
    return entry


def _corrected_quantity(session: Session, project: Project, number: int, seq: int,
                        said: dict) -> Decimal:
    """Entry *seq*'s quantity with every correction of it applied."""
    amount = Decimal(said.get("quantity", "0"))
    for payload in session.scalars(sa.select(LedgerEntry.payload).where(
            LedgerEntry.project_id == project.id, LedgerEntry.input_number == number,
            LedgerEntry.action == "correct", LedgerEntry.seq > seq)):
        data = json.loads(payload)["data"]
        if data["corrects"] == seq:
            amount += Decimal(data["deltas"].get("quantity", "0"))
    return amount


def _check_funds_after(session: Session, project: Project, need: Input,
                       change: Decimal) -> None:
    """Refuse lowering a receipt of money below what was already paid out
    of the funds in that currency: the project never pays beyond its
    means, even after a correction. The journal is held, so no payout can
    come in between."""
    if change >= 0 or need.unit not in currencies():
        return
    fund = session.get(Fund, (project.id, need.unit), populate_existing=True)
    if fund is not None and fund.received + change < fund.paid:
        unit = need.unit
        raise Invalid(f"{project.name} received {rules.shown(fund.received, unit)} {unit} and "
                      f"paid out {rules.shown(fund.paid, unit)} {unit}; lowering this receipt "
                      f"by {rules.shown(-change, unit)} {unit} would leave it having paid out "
                      "more than it received. Record the money that came back first, or "
                      "lower the receipt by less.", field="quantity")


def _check_corrected(project: Project, need: Input, action: str, said: dict, seq: int,
                     changes: dict[str, Decimal], data: dict, current: Decimal) -> None:
    """Refuse a correction that would leave a balance impossible. *current*
    is the corrected entry's quantity after the corrections before this one."""
    change = changes.get("quantity", Decimal(0))
    unit = need.unit
    if action == "need":
        if need.needed + change <= 0:
            raise Invalid(f"That leaves input #{need.number} needing nothing; close it "
                          "instead.", field="quantity")
        unit_cost = need.unit_cost
        if "unit_cost" in changes:
            unit_cost = (unit_cost or Decimal(0)) + changes["unit_cost"]
            if unit_cost < 0:
                raise Invalid("The unit cost cannot go below zero.", field="unit_cost")
        estimate = rules.estimated_total(need.needed + change, unit, unit_cost, need.currency)
        pending = rules.needs_proposal(estimate, project.approval_amount,
                                       project.approval_currency)
        if pending and need.approved:
            data["approval"] = "pending"
        elif not pending and not need.approved:
            data["approval"] = "approved"
    elif action == "pledge":
        row = next(p for p in need.pledges if p.seq == seq)
        if need.recurs is None and change > need.still_needed:
            raise Invalid(f"Only {rules.shown(need.still_needed, unit)} {unit} is still needed; the "
                          "pledge can grow by at most that.", field="quantity")
        if row.quantity + change < row.received:
            raise Invalid(f"{rules.shown(row.received, unit)} {unit} of pledge #{seq} has "
                          "arrived already; the pledge cannot go below that.",
                          field="quantity")
    elif action == "receipt":
        if need.received + change < need.consumed:
            raise Invalid(f"{rules.shown(need.consumed, unit)} {unit} is recorded as used; received "
                          "cannot go below that. Correct the consumption first.",
                          field="quantity")
        if current + change < 0:
            raise Invalid(f"Receipt #{seq} is for {rules.shown(current, unit)} {unit} after "
                          "earlier corrections; it cannot go below zero.", field="quantity")
        if said.get("pledge") is not None:
            data["pledge"] = said["pledge"]
            row = next(p for p in need.pledges if p.seq == said["pledge"])
            if row.received + change < 0:
                raise Invalid("That takes the pledge's delivered amount below zero.",
                              field="quantity")
    elif action == "consume":
        if need.consumed + change < 0 or current + change < 0:
            raise Invalid(f"Entry #{seq} used {rules.shown(current, unit)} {unit} after earlier "
                          "corrections; it cannot go below zero.", field="quantity")
        if need.consumed + change > need.received:
            raise Invalid(f"Only {rules.shown(need.received, unit)} {unit} arrived; used cannot "
                          "exceed that.", field="quantity")
