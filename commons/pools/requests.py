"""Filing, revising and withdrawing a project's request in a round. Every
check passes before anything is written; the pool's journal head is held
first, so a request and an iteration's close never cross: a request lands
in the iteration it was checked against, or is refused as late."""

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.kinds.input import open_input_proposal
from commons.ledger import recurring
from commons.ledger import rules as ledger_rules
from commons.ledger.checks import MAX_NUMBER, checked_text, require_member, rule_problem
from commons.ledger.models import Input
from commons.pools import rules
from commons.pools.guards import require_open_pool
from commons.pools.journal import hold_pool_journal
from commons.pools.models import Pool, PoolRequest, PoolRound
from commons.pools.queries import is_eligible
from commons.problems import Conflict, Invalid
from commons.projects.models import Project

MAX_INPUTS = 20


def file_request(session: Session, actor: User, round_: PoolRound, project: Project,
                 quantity: object, input_numbers: Sequence[object] | object,
                 justification: object, now: datetime, *, unit: object = None) -> PoolRequest:
    """A member files or revises the project's request in the current
    iteration: a quantity of the pool's unit (or currency; *unit*, if
    given, must be it), the project's inputs it would serve in the order
    pledges fill them, and a justification (Markdown).
    Refused, with nothing written: a project that may not request, after
    the iteration closed, another unit, zero or negative, more than the
    previous iteration's, more than the inputs still need, and a request
    above the project's approval threshold whose inputs are not approved."""
    require_member(project, actor, "file the project's requests")
    justification = checked_text(justification, "Justification", "justification", 10000,
                                 required=False, multiline=True)
    pool = round_.pool
    hold_pool_journal(session, pool)  # held to the end of the transaction
    session.refresh(round_)
    session.refresh(pool)
    _require_filing_open(pool, round_, now)
    if not is_eligible(pool, project):
        raise Invalid(f"{project.name} is not among the projects that may request from the "
                      f"pool “{pool.title}”; ask its steward to list it.", field="project")
    shares = pool.unit_or_currency
    if unit not in (None, "") and str(unit).strip() != shares:
        raise Invalid(f"The pool “{pool.title}” shares {shares}; ask in {shares}, not "
                      f"{str(unit).strip()}.", field="unit")
    try:
        amount = ledger_rules.quantity(quantity, shares)
    except ledger_rules.RuleError as error:
        raise rule_problem(error) from None
    previous = _previous_request(session, round_, project)
    if refusal := rules.revision_refusal(previous, amount, round_.iteration, shares):
        raise Invalid(refusal, field="quantity")
    needs = _named_inputs(session, project, pool, input_numbers, now.date())
    still = sum((recurring.as_of(need, now.date()).still_needed for need in needs), Decimal(0))
    if amount > still:
        raise Invalid(f"The inputs named still need {ledger_rules.shown(still, shares)} "
                      f"{shares} in all; ask that or less, or name more inputs.",
                      field="quantity")
    _require_approval(session, project, needs, amount, shares)
    row = session.scalar(sa.select(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.project_id == project.id,
        PoolRequest.iteration == round_.iteration))
    if row is None:
        row = PoolRequest(round_id=round_.id, project=project, iteration=round_.iteration)
        session.add(row)
    row.quantity, row.justification = amount, justification
    row.input_numbers = [need.number for need in needs]
    row.filed_by, row.filed_at, row.withdrawn = actor, now, False
    session.flush()
    return row


def withdraw_request(session: Session, actor: User, round_: PoolRound, project: Project,
                     now: datetime) -> PoolRequest:
    """A member withdraws the project's request: from the next close on it
    asks nothing, and it may not ask again in this round."""
    require_member(project, actor, "withdraw the project's requests")
    pool = round_.pool
    hold_pool_journal(session, pool)
    session.refresh(round_)
    session.refresh(pool)
    _require_filing_open(pool, round_, now)
    row = session.scalar(sa.select(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.project_id == project.id,
        PoolRequest.iteration == round_.iteration))
    if row is None or row.withdrawn:
        raise Conflict(f"{project.name} has no request standing in iteration "
                       f"{round_.iteration}; there is nothing to withdraw.")
    row.withdrawn, row.filed_by, row.filed_at = True, actor, now
    session.flush()
    return row


def _require_filing_open(pool: Pool, round_: PoolRound, now: datetime) -> None:
    require_open_pool(pool)
    if round_.status != PoolRound.OPEN:
        raise Conflict(f"Round {round_.number} is {round_.status}; requests are filed while "
                       "a round is open.")
    closes_at = round_.iteration_closes_at
    if closes_at is None or now >= closes_at:
        raise Conflict(f"Iteration {round_.iteration} of round {round_.number} closed at "
                       f"{ledger_rules.timestamp(closes_at) if closes_at else 'its end'}; "
                       "its figures are being published. File in the next iteration.")


def _previous_request(session: Session, round_: PoolRound, project: Project
                      ) -> Decimal | None:
    """What the project asked in the iteration before (None if nothing or
    withdrawn)."""
    if round_.iteration <= 1:
        return None
    row = session.scalar(sa.select(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.project_id == project.id,
        PoolRequest.iteration == round_.iteration - 1))
    return row.quantity if row is not None and not row.withdrawn else None


def _named_inputs(session: Session, project: Project, pool: Pool,
                  input_numbers: Sequence[object] | object, today: date) -> list[Input]:
    """The inputs a request names, in its order: the project's own, open
    (a recurring need: in *today*'s month), in the pool's unit or currency."""
    if isinstance(input_numbers, str):  # as a form sends it: "1, 3" or "#1 #3"
        input_numbers = [part for part in re.split(r"[\s,]+", input_numbers) if part]
    elif isinstance(input_numbers, int):
        input_numbers = [input_numbers]
    if not isinstance(input_numbers, Sequence):
        raise Invalid("Name the inputs the request would serve by their numbers.",
                      field="input_numbers")
    numbers: list[int] = []
    for value in input_numbers:
        try:
            number = int(str(value).strip().lstrip("#"))
        except ValueError:
            raise Invalid(f"“{value}” is not an input number; name inputs by number, "
                          "such as 3.", field="input_numbers") from None
        if not 0 < number <= MAX_NUMBER:
            raise Invalid(f"{project.name} has no input #{number}.", field="input_numbers")
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        raise Invalid("Name at least one of the project's inputs the request would serve, so "
                      "what it receives lands there.", field="input_numbers")
    if len(numbers) > MAX_INPUTS:
        raise Invalid(f"Name at most {MAX_INPUTS} inputs.", field="input_numbers")
    found = {need.number: need for need in session.scalars(sa.select(Input).where(
        Input.project_id == project.id, Input.number.in_(numbers)))}
    shares = pool.unit_or_currency
    needs = []
    for number in numbers:
        need = found.get(number)
        if need is None:
            raise Invalid(f"{project.name} has no input #{number}.", field="input_numbers")
        if need.unit != shares:
            raise Invalid(f"Input #{number} ({need.title}) is in {need.unit}; the pool “"
                          f"{pool.title}” shares {shares}. Name inputs in {shares}.",
                          field="input_numbers")
        seen = recurring.as_of(need, today)
        if not (seen.open if need.recurs else ledger_rules.is_open(need.closed,
                                                                   need.still_needed)):
            raise Invalid(f"Input #{number} ({need.title}) needs nothing more (it is "
                          f"{seen.status}); name an open input.", field="input_numbers")
        needs.append(need)
    return needs


def _require_approval(session: Session, project: Project, needs: list[Input],
                      amount: Decimal, shares: str) -> None:
    """A request whose estimated cost is above the project's approval
    threshold takes only approved inputs: the project decides what it asks
    for, as for any need (its input proposal passes first)."""
    priced = next((need for need in needs if need.unit_cost is not None), needs[0])
    estimate = ledger_rules.estimated_total(amount, shares, priced.unit_cost, priced.currency)
    if not ledger_rules.needs_proposal(estimate, project.approval_amount,
                                       project.approval_currency):
        return
    for need in needs:
        if need.approved:
            continue
        proposal = open_input_proposal(session, project, need.number)
        waiting = (f"its input proposal #{proposal.number} is still open" if proposal
                   else "it has no passed input proposal")
        assert estimate is not None
        raise Invalid(f"This request (about {ledger_rules.shown(estimate[0], estimate[1])} "
                      f"{estimate[1]}) is above {project.name}'s approval threshold "
                      f"({project.approval_amount} {project.approval_currency}), so the "
                      f"inputs it serves must be approved first: input #{need.number} "
                      f"({need.title}) is pending, and {waiting}.", field="input_numbers")
