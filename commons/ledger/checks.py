"""Checks every ledger use case shares: who may record, what an input
still takes, and a person's text made safe to keep."""

from decimal import Decimal

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.models import Input
from commons.ledger.rules import RuleError
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Project
from commons.text import TextError, clean_text

MAX_NUMBER = 2**31 - 1  # numbers and seqs are 32-bit integers in the database


def rule_problem(error: RuleError) -> Invalid:
    """A rule's refusal as the problem a person sees, on the field to fix."""
    return Invalid(str(error), field=error.field)


def checked_text(value: object, label: str, field: str, max_length: int, *,
                 required: bool = True, multiline: bool = False) -> str:
    """*value* as clean text (``clean_text``), or Invalid on *field*."""
    try:
        return clean_text(None if value is None else str(value), label=label,
                          max_length=max_length, required=required, multiline=multiline)
    except TextError as error:
        raise Invalid(str(error), field=field) from None


def require_member(project: Project, actor: User, what: str) -> None:
    """Forbidden unless *actor* is a member; *what* says what members do."""
    if not project.is_member(actor):
        raise Forbidden(f"Members of {project.name} {what}. Join the project first.")


def no_pledge(need: Input) -> str | None:
    """Why *need* takes no pledge now (closed, arrived or pledged in full),
    or None. A recurring need takes pledges until it is closed: a pledge
    beyond this month covers the months after it."""
    if need.recurs is not None:
        return rules.pledge_refusal(need.number, need.title, need.unit, need.closed,
                                    Decimal(1), Decimal(0), Decimal(0))
    return rules.pledge_refusal(need.number, need.title, need.unit, need.closed, need.needed,
                                need.received, need.pledged)


def no_receipt(need: Input) -> str | None:
    """Why *need* takes no receipt now (closed, or not approved yet), or None."""
    return rules.receipt_refusal(need.number, need.title, need.closed, need.approved)


def require_open(project: Project, need: Input) -> None:
    """Conflict if *need* is closed: nothing more is recorded against it."""
    if need.closed:
        raise Conflict(f"Input #{need.number} ({need.title}) is closed; nothing more is "
                       "recorded against it.")
