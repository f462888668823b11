"""Settling a round: the allocation is the requests in full when demand
fits, else the pool's rule decides it: the proportional cut, or an
`allocation` proposal among the requesting projects. Either way the
pledges are written by the job ``pools.allocate`` (``pools.allocating``)
once the allocation is decided and committed."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.governance.kinds.base import Opened
from commons.governance.models import AffectedParty, Proposal
from commons.governance.opening import add_proposal
from commons.governance.settings import Settings
from commons.jobs import enqueue_after_commit
from commons.ledger import rules as ledger_rules
from commons.pools import rules
from commons.pools.allocating import ALLOCATE, pledger_of
from commons.pools.models import Pool, PoolHead, PoolRequest, PoolRound
from commons.projects.models import Membership, Project


def settle_round(session: Session, pool: Pool, round_: PoolRound, held: PoolHead,
                 requests: list[PoolRequest], now: datetime,
                 settings: Settings | None = None) -> None:
    """After the round's last close (or an early one, when demand fits),
    the round is "settling". Uncontested, or under the proportional rule,
    the allocation is the close's published shares, written by the job
    ``pools.allocate`` once this commits; under the proposal rule a
    contested round opens an `allocation` proposal and the job runs when
    it passes."""
    asked = sum((request.quantity for request in requests), Decimal(0))
    if rules.demand_fits(asked, pool.available) or pool.contested_rule == rules.PROPORTIONAL:
        enqueue_after_commit(session, ALLOCATE, round_id=round_.id)
        return
    if settings is None:
        raise ValueError("settling by proposal needs the governance settings")
    decimals = ledger_rules.decimals_of(pool.unit_or_currency)
    allocation = rules.proportional_cut({r.project_id: r.quantity for r in requests},
                                        pool.available, decimals)
    proposal = open_allocation_proposal(session, pool, round_, requests, allocation, settings,
                                        now)
    round_.proposal_id = proposal.id
    session.flush()


# ---------------------------------------------------------------- by proposal

def host_project(session: Session, pool: Pool, requests: list[PoolRequest]) -> Project:
    """Where the allocation proposal lives: the stewarding project, which
    answers for the pool; for a person's pool, the first project that filed
    a request in the round (its first row)."""
    if pool.steward_project is not None:
        return pool.steward_project
    first = session.scalar(sa.select(PoolRequest.project_id).where(
        PoolRequest.round_id == requests[0].round_id, PoolRequest.iteration == 1)
        .order_by(PoolRequest.id).limit(1))
    return session.get_one(Project, first)


def allocation_parties(session: Session, project_ids: list[int]) -> list[AffectedParty]:
    """The members of every requesting project, once each."""
    parties: dict[int, AffectedParty] = {}
    for membership in session.scalars(
            sa.select(Membership).where(Membership.project_id.in_(project_ids),
                                        Membership.status == Membership.MEMBER)
            .options(selectinload(Membership.user), selectinload(Membership.project))
            .order_by(Membership.user_id, Membership.project_id)):
        user = membership.user
        parties.setdefault(user.id, AffectedParty(
            user_id=user.id, name=user.username,
            email=user.primary_email or f"{user.username}@users.commons.invalid",
            reason=f"a member of {membership.project.name}, which requested"[:255],
            weight=1))
    return list(parties.values())


def open_allocation_proposal(session: Session, pool: Pool, round_: PoolRound,
                             requests: list[PoolRequest], allocation: dict[int, Decimal],
                             settings: Settings, now: datetime) -> Proposal:
    """The `allocation` proposal of a contested round: it lists the
    proportional cut per project as its allocation; the members of every
    requesting project have standing. Lazy consensus, and like any blocked
    proposal it can be revised or put to a majority vote."""
    host = host_project(session, pool, requests)
    unit = pool.unit_or_currency
    lines = ["| Project | Asked | Allocation |", "|---|---:|---:|"]
    for request in sorted(requests, key=lambda r: r.project.name):
        lines.append(f"| {request.project.name} | "
                     f"{ledger_rules.shown(request.quantity, unit)} {unit} | "
                     f"{ledger_rules.shown(allocation.get(request.project_id, Decimal(0)), unit)}"
                     f" {unit} |")
    body = (f"After {round_.iterations} iteration{'s' if round_.iterations != 1 else ''}, "
            f"the projects still ask {ledger_rules.shown(sum((r.quantity for r in requests), Decimal(0)), unit)}"
            f" {unit} of the {ledger_rules.shown(pool.available, unit)} {unit} the pool "
            f"“{pool.title}” has. This proposal allocates it in proportion to what each asked; "
            "when it passes, each project's share is pledged to the inputs its request named.\n\n"
            + "\n".join(lines))
    details = {"pool": pool.id, "round": round_.id, "round_number": round_.number,
               "allocation": {str(pid): ledger_rules.text(q)
                              for pid, q in sorted(allocation.items())}}
    opened = Opened(details, allocation_parties(session, sorted(allocation)))
    title = f"Allocate round {round_.number} of the pool “{pool.title}”"[:200]
    return add_proposal(session, host, pledger_of(pool, round_), "allocation", title, body,
                        opened, settings, now)
