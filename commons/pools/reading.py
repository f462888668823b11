"""What the pool pages and the API read: pools, their history, rounds,
each round's requests per iteration with the figures published at each
close, and who may act. Bounded queries only; nothing here writes, and
nothing decides what is due (the worker and `governance tick` close
iterations, never a page read)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import User
from commons.ledger.chart import figure
from commons.pools import chart
from commons.pools.models import (
    Pool,
    PoolAllocation,
    PoolEntry,
    PoolIteration,
    PoolRequest,
    PoolRound,
    pool_eligible_projects,
)
from commons.problems import NotFound
from commons.projects.models import Membership, Project

HISTORY = 50
POOLS_PER_PAGE = 100


def list_pools(session: Session, limit: int = POOLS_PER_PAGE) -> list[Pool]:
    """Open pools first, then closed ones, newest first within each."""
    return list(session.scalars(
        sa.select(Pool).order_by(Pool.closed_at.is_not(None), Pool.id.desc()).limit(limit)))


def get_pool(session: Session, pool_id: int) -> Pool:
    pool = session.get(Pool, pool_id)
    if pool is None:
        raise NotFound(f"There is no pool {pool_id}. The list of pools is at /pools.")
    return pool


def history(session: Session, pool: Pool, limit: int = HISTORY) -> list[PoolEntry]:
    """The pool's journal, newest first."""
    return list(session.scalars(sa.select(PoolEntry).where(PoolEntry.pool_id == pool.id)
                                .order_by(PoolEntry.seq.desc()).limit(limit)))


def rounds_of(session: Session, pool: Pool) -> list[PoolRound]:
    return list(session.scalars(sa.select(PoolRound).where(PoolRound.pool_id == pool.id)
                                .order_by(PoolRound.number.desc())))


def get_round(session: Session, pool: Pool, number: int) -> PoolRound:
    found = session.scalar(sa.select(PoolRound).where(PoolRound.pool_id == pool.id,
                                                      PoolRound.number == number))
    if found is None:
        raise NotFound(f"{pool.title} has no round {number}; its rounds are listed on "
                       "the pool's page.")
    return found


def unit_of(pool: Pool) -> str:
    """What the pool counts in: its ledger unit, or its currency."""
    return pool.unit_or_currency


def is_steward(user, pool: Pool) -> bool:
    """Whether *user* may change the pool: its steward, or a member of its
    steward project."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if pool.steward_user_id is not None:
        return pool.steward_user_id == user.id
    return pool.steward_project is not None and pool.steward_project.is_member(user)


def steward_name(pool: Pool) -> str:
    if pool.steward_user is not None:
        return pool.steward_user.username
    return pool.steward_project.name if pool.steward_project is not None else ""


def projects_of(session: Session, user: User) -> list[Project]:
    """The projects *user* is a member of, by name."""
    return list(session.scalars(
        sa.select(Project).join(Membership, Membership.project_id == Project.id)
        .where(Membership.user_id == user.id, Membership.status == Membership.MEMBER)
        .order_by(Project.name)))


def requesting_projects(session: Session, user, pool: Pool) -> list[Project]:
    """The projects on whose behalf *user* may file a request on *pool*:
    those they are a member of that the pool lets request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    mine = projects_of(session, user)
    if pool.eligibility == "any":
        return mine
    listed = set(session.scalars(sa.select(pool_eligible_projects.c.project_id)
                                 .where(pool_eligible_projects.c.pool_id == pool.id)))
    return [project for project in mine if project.id in listed]


@dataclass
class Line:
    """One project's request in one iteration."""

    request: PoolRequest
    project: Project
    share: Decimal | None = None  # its indicative share, published at the close

    @property
    def quantity(self) -> Decimal:
        return Decimal(0) if self.request.withdrawn else self.request.quantity


@dataclass
class Iteration:
    number: int
    lines: list[Line]
    published: PoolIteration | None  # None while it is open
    requested: Decimal
    available: Decimal

    @property
    def ratio(self) -> Decimal | None:
        if self.published is not None and self.published.ratio is not None:
            return Decimal(self.published.ratio)
        return chart.excess_ratio(self.requested, self.available)


@dataclass
class RoundView:
    pool: Pool
    round: PoolRound
    iterations: list[Iteration]  # newest first
    allocations: Sequence[tuple[PoolAllocation, Project]] = field(default_factory=list)

    @property
    def chart(self) -> chart.Chart:
        return chart.layout([chart.Point(i.number, i.available, i.requested,
                                         closed=i.published is not None)
                             for i in reversed(self.iterations)], unit_of(self.pool))

    def current_line(self, project: Project) -> Line | None:
        """*project*'s request as it stands: in the open iteration, else the
        latest it filed."""
        for iteration in self.iterations:
            for line in iteration.lines:
                if line.project.id == project.id:
                    return line
        return None


def round_view(session: Session, pool: Pool, found: PoolRound) -> RoundView:
    """The round's requests per iteration (newest iteration first, each
    largest request first), with what each close published, and the
    final allocation."""
    published = {row.iteration: row for row in session.scalars(
        sa.select(PoolIteration).where(PoolIteration.round_id == found.id))}
    lines: dict[int, list[Line]] = {}
    for request, project in session.execute(
            sa.select(PoolRequest, Project).join(Project, Project.id == PoolRequest.project_id)
            .where(PoolRequest.round_id == found.id)
            .order_by(PoolRequest.iteration, PoolRequest.quantity.desc(), Project.name)):
        lines.setdefault(request.iteration, []).append(Line(request, project))
    iterations = []
    last = found.iteration if found.status == "open" else max(
        [found.iteration, *published, *lines], default=1)
    for number in range(last, 0, -1):
        row = published.get(number)
        mine = lines.get(number, [])
        if row is not None:
            shares = _shares(row)
            for line in mine:
                line.share = shares.get(str(line.project.id))
            iterations.append(Iteration(number, mine, row, Decimal(row.requested),
                                        Decimal(row.available)))
        elif number == found.iteration and found.status == "open":
            iterations.append(Iteration(number, mine, None,
                                        sum((line.quantity for line in mine), Decimal(0)),
                                        Decimal(pool.available)))
    allocations = list(session.execute(
        sa.select(PoolAllocation, Project).join(Project, Project.id == PoolAllocation.project_id)
        .where(PoolAllocation.round_id == found.id).order_by(Project.name)))
    return RoundView(pool, found, iterations, allocations)


def _shares(row: PoolIteration) -> dict[str, Decimal]:
    """The indicative shares a close published, by project id (as text)."""
    return {str(key): Decimal(str(value)) for key, value in (row.shares or {}).items()
            if value is not None}


def received_from_pools(session: Session, project: Project
                        ) -> Sequence[tuple[PoolAllocation, PoolRound, Pool]]:
    """What *project* was allocated from pools, newest round first."""
    return session.execute(
        sa.select(PoolAllocation, PoolRound, Pool)
        .join(PoolRound, PoolRound.id == PoolAllocation.round_id)
        .join(Pool, Pool.id == PoolRound.pool_id)
        .where(PoolAllocation.project_id == project.id)
        .order_by(PoolRound.settled_at.desc(), PoolRound.id.desc()).limit(50)).all()


def open_rounds_for_units(session: Session, units: Sequence[str]
                          ) -> dict[str, list[tuple[Pool, PoolRound]]]:
    """For the needs board: the open rounds on open pools counted in each of
    *units* (a ledger unit or a currency)."""
    if not units:
        return {}
    found: dict[str, list[tuple[Pool, PoolRound]]] = {}
    counted = sa.case((Pool.kind == "money", Pool.currency), else_=Pool.unit)
    for pool, each, unit in session.execute(
            sa.select(Pool, PoolRound, counted)
            .join(PoolRound, PoolRound.pool_id == Pool.id)
            .where(Pool.closed_at.is_(None), PoolRound.status == "open",
                   counted.in_(sorted(set(units))))
            .options(selectinload(Pool.steward_project))
            .order_by(PoolRound.iteration_closes_at, Pool.id)):
        found.setdefault(unit, []).append((pool, each))
    return found


def entry_words(entry: PoolEntry, unit: str) -> str:
    """What a pool journal entry says, in a line people read; the entry's
    own data (its hash covers it) is in the API's journal."""
    try:
        data = json.loads(entry.payload).get("data") or {}
    except ValueError:
        data = {}

    def amount(key: str) -> str:
        value = data.get(key)
        return f"{figure(Decimal(str(value)), unit)} {unit}" if value is not None else "?"

    round_ = f"round {data['round']}" if "round" in data else "a round"
    reason = f": {data['reason']}" if data.get("reason") else ""
    if entry.action == "pool_created":
        return f"Offered {amount('available')}"
    if entry.action == "availability_changed":
        return f"Available changed from {amount('from')} to {amount('to')}{reason}"
    if entry.action == "pool_closed":
        return f"Closed{reason}"
    if entry.action == "round_opened":
        days = figure(Decimal(int(data.get("iteration_seconds", 0))) / 86400)
        return (f"Opened {round_}: {data.get('iterations', '?')} iterations of {days} "
                f"day{'' if days == '1' else 's'}")
    if entry.action == "iteration_closed":
        said = f"Closed iteration {data.get('iteration', '?')} of {round_}"
        if "requested" in data and "available" in data:
            said += f": {amount('requested')} requested of {amount('available')} available"
        return said
    if entry.action == "round_settled":
        return f"Allocated {round_}"
    if entry.action == "round_cancelled":
        return f"Cancelled {round_}{reason}"
    return entry.action.replace("_", " ").capitalize()
