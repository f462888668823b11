"""Needs: record an input requirement, approve it when its proposal
passes, close it when nobody should pledge to it any more."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import recurrence_rules, rules
from commons.ledger.checks import checked_text, require_member, require_open, rule_problem
from commons.ledger.journal import append_entry, fold_entry, hold_journal
from commons.ledger.models import Input
from commons.ledger.queries import get_input
from commons.ledger.rules import RuleError
from commons.problems import Invalid
from commons.projects.models import Project
from commons.signals import input_closed, input_pending


@dataclass(frozen=True)
class NeedForm:
    """What a person asks for, as typed (strings, or numbers from JSON)."""

    title: object
    kind: object
    quantity: object
    unit: object
    unit_cost: object = None
    currency: object = None
    needed_by: object = None
    description: object = ""
    recurs: object = None   # "monthly": the quantity is needed each month
    starts: object = None   # its first month, "YYYY-MM" (this month if empty)


def record_need(session: Session, project: Project, actor: User, form: NeedForm,
                now: datetime) -> Input:
    """Add an input requirement. Above the project's approval threshold (or
    priced in another currency) it is pending until an `input` proposal
    passes; governance opens that proposal on the ``input_pending`` signal.
    A need that recurs monthly is needed in its quantity each month from
    its start month; one month's cost is what meets the threshold."""
    require_member(project, actor, "record what the project needs")
    title = checked_text(form.title, "Title", "title", 200)
    description = checked_text(form.description, "Description", "description", 10000,
                        required=False, multiline=True)
    kind = str(form.kind or "").strip().lower()
    if kind not in rules.KINDS:
        raise Invalid(f"Kind is one of: {', '.join(rules.KINDS)}.", field="kind")
    try:
        unit = rules.unit_named(str(form.unit or "").strip(), money=kind == "money")
        needed = rules.quantity(form.quantity, unit)
        currency = str(form.currency or "").strip().upper() or None
        unit_cost = None
        if unit in rules.currencies():
            if form.unit_cost not in (None, ""):
                raise RuleError("Money needed in a currency costs itself; leave unit cost "
                                "empty.", "unit_cost")
            currency = None
        elif form.unit_cost not in (None, ""):
            if currency is None:
                raise RuleError("Give the currency of the unit cost (EUR, USD, ...).",
                                "currency")
            unit_cost = rules.money(form.unit_cost, currency)
        elif currency is not None:
            raise RuleError("Give the unit cost too, or leave the currency empty.", "unit_cost")
        if kind == "money" and unit not in rules.currencies():
            raise RuleError("Money is needed in a currency: put its code (EUR, ...) as the "
                            "unit.", "unit")
        needed_by = rules.check_date(form.needed_by, "Needed by", "needed_by")
    except RuleError as error:
        raise rule_problem(error) from None
    recurs, starts = _recurrence(form, needed_by, now)
    estimate = rules.estimated_total(needed, unit, unit_cost, currency)
    pending = rules.needs_proposal(estimate, project.approval_amount, project.approval_currency)
    held = hold_journal(session, project)
    held.inputs += 1
    data = {"input": held.inputs, "title": title, "kind": kind, "quantity": rules.text(needed),
            "unit": unit, "unit_cost": rules.text(unit_cost) if unit_cost is not None else None,
            "currency": currency, "needed_by": needed_by, "description": description,
            "approval": "pending" if pending else "approved"}
    if recurs is not None:  # absent from a need needed once, as before issue 20
        data.update(recurs=recurs, starts=starts)
    entry = append_entry(session, project, held, actor, "need", data, now, held.inputs)
    need = fold_entry(session, project, entry, data, None, now)
    assert need is not None
    if pending:
        input_pending.send(project, need=need, actor=actor, now=now)
    return need


# How far back a recurring need may start: its months behind show at once.
EARLIEST_START = 12


def _recurrence(form: NeedForm, needed_by: str | None, now: datetime
                ) -> tuple[str | None, str | None]:
    """("monthly", "YYYY-MM") for a need that recurs, (None, None) for one
    needed once."""
    recurs = str(form.recurs or "").strip().lower() or None
    if recurs in (None, "once", "no"):
        if form.starts not in (None, ""):
            raise Invalid("A start month is for a need that recurs; choose \"each month\" "
                          "or leave the start month empty.", field="starts")
        return None, None
    if recurs not in rules.RECURRENCES:
        raise Invalid("Recurs is \"monthly\" (needed each month) or empty (needed once).",
                      field="recurs")
    if needed_by is not None:
        raise Invalid("A need that recurs each month has no needed-by date: it is needed "
                      "each month from its start month. Leave needed by empty.",
                      field="needed_by")
    this_month = rules.month_of(now.date())
    try:
        start = this_month if form.starts in (None, "") else rules.parse_month(form.starts)
    except rules.MonthError as error:
        raise Invalid(str(error), field="starts") from None
    earliest = recurrence_rules.add_months(this_month, -EARLIEST_START)
    if start < earliest:
        raise Invalid(f"The start month is at most {EARLIEST_START} months back (from "
                      f"{rules.month_text(earliest)}).", field="starts")
    return recurs, rules.month_text(start)


def approve_input(session: Session, project: Project, number: int, proposal: int,
                  now: datetime) -> Input:
    """Carry out a passed `input` proposal. Raises Conflict if the input was
    closed meanwhile."""
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    require_open(project, need)
    if need.approved:
        return need
    data = {"input": number, "proposal": proposal}
    entry = append_entry(session, project, held, None, "approve", data, now, number)
    fold_entry(session, project, entry, data, need, now)
    return need


def close_input(session: Session, project: Project, actor: User, number: int, reason: object,
                now: datetime) -> Input:
    """A member closes a need nobody should pledge to any more."""
    require_member(project, actor, "close needs")
    reason = checked_text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_journal(session, project)
    need = get_input(session, project, number)
    require_open(project, need)
    data = {"input": number, "reason": reason}
    entry = append_entry(session, project, held, actor, "close", data, now, number)
    fold_entry(session, project, entry, data, need, now)
    input_closed.send(project, need=need, actor=actor, now=now)
    return need
