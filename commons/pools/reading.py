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


ROWS_PER_PAGE = 100
# The round page's cursor: the last project's (name, id).
CURSOR = (str, int)


@dataclass
class Iteration:
    """One iteration's figures: what its close published, or for the open
    one, the requests as they stand."""

    number: int
    published: PoolIteration | None  # None while it is open
    requested: Decimal
    available: Decimal

    @property
    def ratio(self) -> Decimal | None:
        if self.published is not None:
            return None if self.published.ratio is None else Decimal(self.published.ratio)
        return chart.excess_ratio(self.requested, self.available)

    @property
    def note(self) -> str:
        return self.published.note if self.published is not None else ""


@dataclass
class ProjectRow:
    """A project's requests in a round, one per iteration it asked in, with
    the indicative share each close published and what it was allocated."""

    project: Project
    requests: dict[int, PoolRequest] = field(default_factory=dict)
    shares: dict[int, Decimal] = field(default_factory=dict)
    allocation: PoolAllocation | None = None

    @property
    def latest(self) -> PoolRequest:
        return self.requests[max(self.requests)]


@dataclass
class RoundPage:
    pool: Pool
    round: PoolRound
    iterations: list[Iteration]  # newest first
    rows: list[ProjectRow]       # a page of the requesting projects, by name
    projects: int                # requesting projects in all
    allocated: Decimal | None    # in all, once allocated
    next_key: tuple | None = None

    @property
    def numbers(self) -> list[int]:
        """The iterations, oldest first: the table's columns."""
        return [i.number for i in reversed(self.iterations)]

    @property
    def chart(self) -> chart.Chart:
        return chart.layout([chart.Point(i.number, i.available, i.requested,
                                         closed=i.published is not None)
                             for i in reversed(self.iterations)], unit_of(self.pool))


def round_figures(session: Session, pool: Pool, found: PoolRound) -> list[Iteration]:
    """Each iteration's figures, newest first: what each close published,
    and the open iteration summed from its standing requests."""
    published = {row.iteration: row for row in session.scalars(
        sa.select(PoolIteration).where(PoolIteration.round_id == found.id))}
    last = max([found.iteration, *published])
    figures = []
    for number in range(last, 0, -1):
        row = published.get(number)
        if row is not None:
            figures.append(Iteration(number, row, Decimal(row.requested),
                                     Decimal(row.available)))
        elif number == found.iteration and found.status == PoolRound.OPEN:
            # Amounts are exact decimal text: summed here, not by SQL.
            standing = session.scalars(sa.select(PoolRequest.quantity).where(
                PoolRequest.round_id == found.id, PoolRequest.iteration == number,
                PoolRequest.withdrawn.is_(False)))
            figures.append(Iteration(number, None, sum(standing, Decimal(0)),
                                     Decimal(pool.available)))
    return figures


def round_page(session: Session, pool: Pool, found: PoolRound,
               after: Sequence | None = None, limit: int = ROWS_PER_PAGE) -> RoundPage:
    """The round's figures and a page of its requesting projects (by name,
    after the cursor key *after*), each with its requests in every
    iteration, its published shares and its allocation: four queries
    whatever the number of projects, and only a page of them drawn."""
    figures = round_figures(session, pool, found)
    requesting = (sa.select(PoolRequest.project_id).where(PoolRequest.round_id == found.id)
                  .distinct().subquery())
    statement = sa.select(Project).join(requesting, requesting.c.project_id == Project.id)
    if after is not None:
        statement = statement.where(sa.tuple_(Project.name, Project.id) >
                                    sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    found_projects = list(session.scalars(statement.order_by(Project.name, Project.id)
                                          .limit(limit + 1)))
    more = len(found_projects) > limit
    rows = {project.id: ProjectRow(project) for project in found_projects[:limit]}
    if rows:
        for request in session.scalars(sa.select(PoolRequest).where(
                PoolRequest.round_id == found.id, PoolRequest.project_id.in_(list(rows)))):
            rows[request.project_id].requests[request.iteration] = request
        for allocation in session.scalars(sa.select(PoolAllocation).where(
                PoolAllocation.round_id == found.id, PoolAllocation.project_id.in_(list(rows)))):
            rows[allocation.project_id].allocation = allocation
    for iteration in figures:
        if iteration.published is not None:
            for key, share in _shares(iteration.published).items():
                if (row := rows.get(int(key))) is not None:
                    row.shares[iteration.number] = share
    count = session.scalar(sa.select(sa.func.count()).select_from(requesting)) or 0
    allocated = None
    if found.status == PoolRound.ALLOCATED:
        allocated = sum(session.scalars(sa.select(PoolAllocation.quantity).where(
            PoolAllocation.round_id == found.id)), Decimal(0))
    last = found_projects[limit - 1] if more else None
    return RoundPage(pool, found, figures, list(rows.values()), count, allocated,
                     (last.name, last.id) if last is not None else None)


def request_of(session: Session, found: PoolRound, project: Project) -> PoolRequest | None:
    """*project*'s latest request in the round."""
    return session.scalar(sa.select(PoolRequest).where(
        PoolRequest.round_id == found.id, PoolRequest.project_id == project.id)
        .order_by(PoolRequest.iteration.desc()).limit(1))


def every_request(session: Session, found: PoolRound
                  ) -> Sequence[tuple[PoolRequest, Project]]:
    """Every request of the round with its project, iteration by iteration,
    by project name: for the API and the export."""
    return session.execute(
        sa.select(PoolRequest, Project).join(Project, Project.id == PoolRequest.project_id)
        .where(PoolRequest.round_id == found.id)
        .order_by(PoolRequest.iteration, Project.name, Project.id)).all()


def allocations_of(session: Session, found: PoolRound
                   ) -> Sequence[tuple[PoolAllocation, Project]]:
    return session.execute(
        sa.select(PoolAllocation, Project).join(Project, Project.id == PoolAllocation.project_id)
        .where(PoolAllocation.round_id == found.id).order_by(Project.name)).all()


def shares_by_slug(session: Session, row: PoolIteration) -> dict[str, str]:
    """The shares a close published, keyed by project slug (the API's)."""
    shares = _shares(row)
    if not shares:
        return {}
    slugs = dict(session.execute(sa.select(Project.id, Project.slug)
                                 .where(Project.id.in_([int(k) for k in shares]))).all())
    return {slugs.get(int(key), key): str(value) for key, value in shares.items()}


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
