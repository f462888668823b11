"""Pools' use cases, the front door pages, the API and the CLI call: create
a pool, change what is available, close it, open a round. Requests are in
``pools.requests``, closing iterations in ``pools.closing``, settling in
``pools.settling``, reading in ``pools.queries``; their public functions are
re-exported here. Every function takes a session and ``now``, flushes and
never commits (except ``close_due_iterations``, which, like deciding
proposals, commits each round's close on its own)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules as governance_rules
from commons.governance.models import Proposal
from commons.ledger import rules as ledger_rules
from commons.ledger.checks import checked_text, rule_problem
from commons.pools import rules
from commons.pools.closing import close_due_iterations, close_iteration
from commons.pools.guards import require_open_pool, require_steward
from commons.pools.journal import append_pool_entry, hold_pool_journal
from commons.pools.models import Pool, PoolRound
from commons.pools.queries import (
    IterationRows,
    allocations_for_project,
    eligible_projects_for,
    get_pool,
    get_round,
    is_eligible,
    is_steward,
    list_pools,
    open_round_of,
    open_rounds_for_unit,
    round_table,
)
from commons.pools.requests import file_request, withdraw_request
from commons.pools.settling import settle_round
from commons.problems import Conflict, Invalid
from commons.projects.models import Project

__all__ = [
    "IterationRows", "PoolForm", "allocations_for_project", "change_availability",
    "close_due_iterations", "close_iteration", "close_pool", "create_pool",
    "eligible_projects_for", "file_request", "get_pool", "get_round", "is_eligible",
    "is_steward", "list_pools", "open_round", "open_round_of", "open_rounds_for_unit",
    "round_table", "settle_round", "withdraw_request",
]


@dataclass(frozen=True)
class PoolForm:
    """A pool as typed (strings, or numbers from JSON). *unit* is a ledger
    unit for a resource, *currency* a code for money; *steward_project* a
    project's slug when a project (not the creator) stewards it; *eligible*
    the slugs of the projects that may request when *eligibility* is
    "listed"."""

    title: object
    kind: object
    available: object
    unit: object = None
    currency: object = None
    description: object = ""
    period: object = None
    steward_project: object = None
    eligibility: object = "any"
    eligible: list[object] = field(default_factory=list)
    contested_rule: object = "proportional"


def create_pool(session: Session, actor: User, form: PoolForm, now: datetime) -> Pool:
    """Offer a stock for sharing. The creator stewards it, or a project
    they are a member of does. Recorded as the pool journal's first entry."""
    title = checked_text(form.title, "Title", "title", 200)
    description = checked_text(form.description, "Description", "description", 10000,
                               required=False, multiline=True)
    period = checked_text(form.period, "Period", "period", 40, required=False) or None
    kind = str(form.kind or "").strip().lower()
    if kind not in (Pool.MONEY, Pool.RESOURCE):
        raise Invalid("Kind is money (a currency and an amount) or resource (a quantity in a "
                      "unit of the ledger).", field="kind")
    try:
        if kind == Pool.MONEY:
            code = str(form.currency or "").strip().upper()
            if code not in ledger_rules.currencies():
                raise ledger_rules.RuleError("Give the pool's currency as an ISO 4217 code "
                                             "(EUR, USD, ...).", "currency")
            unit, currency = None, code
        else:
            unit = ledger_rules.unit_named(str(form.unit or "").strip())
            if unit in ledger_rules.currencies():
                raise ledger_rules.RuleError("Money is a pool of kind money; a resource's "
                                             f"unit is one of {', '.join(ledger_rules.UNITS)}.",
                                             "unit")
            currency = None
        available = _available(form.available, unit or currency or "")
    except ledger_rules.RuleError as error:
        raise rule_problem(error) from None
    eligibility = str(form.eligibility or "any").strip().lower()
    if eligibility not in (Pool.ANY, Pool.LISTED):
        raise Invalid("Eligibility is any (every project may request) or listed.",
                      field="eligibility")
    rule = str(form.contested_rule or "").strip().lower()
    if rule not in rules.CONTESTED_RULES:
        raise Invalid("What stays contested after the last iteration is cut in proportion "
                      "(proportional) or decided by a proposal among the requesting projects "
                      "(proposal).", field="contested_rule")
    steward_project = None
    if form.steward_project not in (None, ""):
        steward_project = _project(session, form.steward_project, "steward_project")
        if not steward_project.is_member(actor):
            raise Invalid(f"Only members of {steward_project.name} offer a pool on its behalf.",
                          field="steward_project")
    eligible = [_project(session, slug, "eligible") for slug in dict.fromkeys(form.eligible)
                if slug not in (None, "")] if eligibility == Pool.LISTED else []
    if eligibility == Pool.LISTED and not eligible:
        raise Invalid("List at least one project that may request, or make it open to any.",
                      field="eligible")
    pool = Pool(title=title, description=description, kind=kind, unit=unit, currency=currency,
                available=available, period=period,
                steward_user=None if steward_project else actor,
                steward_project=steward_project, eligibility=eligibility,
                eligible_projects=eligible, contested_rule=rule, created_at=now,
                created_by=actor)
    session.add(pool)
    session.flush()
    held = hold_pool_journal(session, pool)
    append_pool_entry(session, pool, held, actor, "pool_created", {
        "title": title, "kind": kind, "unit": unit, "currency": currency,
        "available": ledger_rules.text(available), "period": period,
        "steward": ({"project": steward_project.slug} if steward_project
                    else {"user": actor.username}),
        "eligibility": eligibility, "eligible": [p.slug for p in eligible],
        "contested_rule": rule}, now)
    return pool


def change_availability(session: Session, actor: User, pool: Pool, available: object,
                        reason: object, now: datetime) -> Pool:
    """The steward records what is really available now. A round's next
    close uses the new figure and says so."""
    require_steward(pool, actor, "change what is available")
    reason = checked_text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_pool_journal(session, pool)
    session.refresh(pool)
    require_open_pool(pool)
    try:
        figure = _available(available, pool.unit_or_currency)
    except ledger_rules.RuleError as error:
        raise rule_problem(error) from None
    if figure == pool.available:
        raise Invalid(f"{ledger_rules.shown(figure, pool.unit_or_currency)} "
                      f"{pool.unit_or_currency} is available already; give the new figure.",
                      field="available")
    append_pool_entry(session, pool, held, actor, "availability_changed", {
        "from": ledger_rules.text(pool.available), "to": ledger_rules.text(figure),
        "reason": reason}, now)
    pool.available = figure
    session.flush()
    return pool


def close_pool(session: Session, actor: User, pool: Pool, reason: object,
               now: datetime) -> Pool:
    """The steward closes the pool: nothing more is requested from it. An
    open round is cancelled (its requests stay on record), and so is one
    whose allocation proposal was withdrawn; a round whose allocation a
    proposal is deciding, or whose pledges are being written, is finished
    first."""
    require_steward(pool, actor, "close it")
    reason = checked_text(reason, "Reason", "reason", 2000, multiline=True)
    held = hold_pool_journal(session, pool)
    session.refresh(pool)
    require_open_pool(pool)
    current = open_round_of(session, pool)
    if current is not None and current.status == PoolRound.SETTLING:
        proposal = session.get(Proposal, current.proposal_id) if current.proposal_id else None
        if proposal is None:
            raise Conflict(f"Round {current.number}'s allocation is being written as "
                           "pledges; close the pool in a minute, once it is done.")
        if proposal.status not in (governance_rules.WITHDRAWN, governance_rules.FAILED):
            raise Conflict(f"Round {current.number}'s allocation is being decided by "
                           f"proposal #{proposal.number}; close the pool once it is decided.")
        # Its proposal was withdrawn or could not be carried out: nothing
        # will allocate the round, so closing the pool cancels it.
    if current is not None:
        session.refresh(current)
        current.status, current.iteration_closes_at = PoolRound.CANCELLED, None
        append_pool_entry(session, pool, held, actor, "round_cancelled", {
            "round": current.number, "reason": "the pool was closed"}, now)
    append_pool_entry(session, pool, held, actor, "pool_closed", {"reason": reason}, now)
    pool.closed_at = now
    session.flush()
    return pool


def open_round(session: Session, actor: User, pool: Pool, iterations: object,
               iteration_seconds: object, now: datetime, *,
               min_review_window: int) -> PoolRound:
    """The steward opens a planning round: *iterations* (1 to 10; None for
    3) of *iteration_seconds* each (None for 3 days), never shorter than
    the minimum review window, so everyone affected has the time a proposal
    would give them. One round at a time per pool."""
    require_steward(pool, actor, "open a round")
    count = _whole(iterations, rules.DEFAULT_ITERATIONS, "iterations")
    if not rules.MIN_ITERATIONS <= count <= rules.MAX_ITERATIONS:
        raise Invalid(f"A round has {rules.MIN_ITERATIONS} to {rules.MAX_ITERATIONS} "
                      "iterations.", field="iterations")
    seconds = _whole(iteration_seconds, rules.DEFAULT_ITERATION_SECONDS, "iteration_seconds")
    if seconds < min_review_window:
        raise Invalid(f"An iteration lasts at least the minimum review window "
                      f"({_duration(min_review_window)}), so everyone affected has time to "
                      "see and revise.", field="iteration_seconds")
    if seconds > 365 * 86400:
        raise Invalid("An iteration lasts at most a year.", field="iteration_seconds")
    held = hold_pool_journal(session, pool)
    session.refresh(pool)
    require_open_pool(pool)
    current = open_round_of(session, pool)
    if current is not None:
        raise Conflict(f"Round {current.number} of this pool is still "
                       f"{'open' if current.status == PoolRound.OPEN else 'being settled'}; "
                       "one round at a time.")
    number = (session.scalar(sa.select(sa.func.max(PoolRound.number))
                             .where(PoolRound.pool_id == pool.id)) or 0) + 1
    first_close = now + timedelta(seconds=seconds)
    round_ = PoolRound(pool=pool, number=number, iterations=count, iteration_seconds=seconds,
                       opened_at=now, opened_by=actor, iteration=1,
                       iteration_closes_at=first_close,
                       status=PoolRound.OPEN, opened_available=pool.available)
    session.add(round_)
    session.flush()
    append_pool_entry(session, pool, held, actor, "round_opened", {
        "round": number, "iterations": count, "iteration_seconds": seconds,
        "available": ledger_rules.text(pool.available),
        "first_close": ledger_rules.timestamp(first_close)}, now)
    return round_


def _available(value: object, unit: str) -> Decimal:
    """What a steward says is available: zero or more, in the unit's steps."""
    amount = ledger_rules.parse_number(value, "Available", "available")
    if amount == 0:
        return Decimal(0).scaleb(-ledger_rules.decimals_of(unit))
    if amount < 0:
        raise ledger_rules.RuleError("Available cannot be negative; give 0 if nothing is.",
                                     "available")
    return ledger_rules.quantity(value, unit, "Available", field_name="available")


def _whole(value: object, default: int, field_name: str) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise Invalid(f"{field_name} is a whole number.", field=field_name)
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(f"{field_name} is a whole number.", field=field_name) from None


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day{'s' if seconds != 86400 else ''}"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    return f"{seconds} seconds"


def _project(session: Session, slug: object, field_name: str) -> Project:
    project = session.scalar(sa.select(Project).where(Project.slug == str(slug).strip()))
    if project is None:
        raise Invalid(f"There is no project “{slug}”.", field=field_name)
    return project
