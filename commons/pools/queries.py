"""Reading pools: a pool, its rounds, the table of requests per iteration,
the projects a person may request for, the open rounds the needs board
links to, and what a project receives. Nothing here writes."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import User
from commons.pools.guards import stewards
from commons.pools.models import (
    Pool,
    PoolAllocation,
    PoolIteration,
    PoolRequest,
    PoolRound,
    pool_eligible_projects,
)
from commons.problems import NotFound
from commons.projects.models import Membership, Project

MAX_ID = 2**31 - 1


def get_pool(session: Session, pool_id: int) -> Pool:
    """The pool *pool_id*, or NotFound."""
    pool = session.get(Pool, pool_id) if 0 < pool_id <= MAX_ID else None
    if pool is None:
        raise NotFound(f"There is no pool #{pool_id}.")
    return pool


def get_round(session: Session, pool: Pool, number: int) -> PoolRound:
    """Round *number* of *pool*, or NotFound."""
    round_ = session.scalar(sa.select(PoolRound).where(
        PoolRound.pool_id == pool.id, PoolRound.number == number)) \
        if 0 < number <= MAX_ID else None
    if round_ is None:
        raise NotFound(f"The pool “{pool.title}” has no round {number}.")
    return round_


def list_pools(session: Session, *, include_closed: bool = False) -> list[Pool]:
    """Pools, newest first; open ones only unless *include_closed*."""
    statement = sa.select(Pool).order_by(Pool.id.desc())
    if not include_closed:
        statement = statement.where(Pool.closed_at.is_(None))
    return list(session.scalars(statement))


def open_round_of(session: Session, pool: Pool) -> PoolRound | None:
    """The pool's round that is open or being settled, if any."""
    return session.scalar(sa.select(PoolRound).where(
        PoolRound.pool_id == pool.id,
        PoolRound.status.in_((PoolRound.OPEN, PoolRound.SETTLING))))


def is_steward(pool: Pool, user: User | None) -> bool:
    """Whether *user* acts for the pool's steward (pages show its forms)."""
    return stewards(pool, user)


def is_eligible(pool: Pool, project: Project) -> bool:
    """Whether *project* may request from *pool*."""
    return pool.eligibility == Pool.ANY or any(p.id == project.id
                                               for p in pool.eligible_projects)


def eligible_projects_for(session: Session, user: User | None, pool: Pool) -> list[Project]:
    """The projects *user* is a member of that may request from *pool*,
    by name: the choices of the request form."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    statement = (sa.select(Project).join(Membership, Membership.project_id == Project.id)
                 .where(Membership.user_id == user.id, Membership.status == Membership.MEMBER)
                 .order_by(Project.name))
    if pool.eligibility == Pool.LISTED:
        statement = statement.join(pool_eligible_projects,
                                   pool_eligible_projects.c.project_id == Project.id).where(
            pool_eligible_projects.c.pool_id == pool.id)
    return list(session.scalars(statement))


@dataclass(frozen=True)
class IterationRows:
    """One iteration of a round: the requests filed in it (by project
    name; withdrawn ones included, marked) and, once closed, what its close
    published."""

    iteration: int
    requests: list[PoolRequest]
    published: PoolIteration | None


def round_table(session: Session, round_: PoolRound) -> list[IterationRows]:
    """The round's requests per iteration, from the first to the current
    one, each with what its close published: two queries, however many
    projects."""
    requests = session.scalars(
        sa.select(PoolRequest).where(PoolRequest.round_id == round_.id)
        .options(selectinload(PoolRequest.project), selectinload(PoolRequest.filed_by))
        .order_by(PoolRequest.iteration, PoolRequest.project_id)).all()
    published = {row.iteration: row for row in session.scalars(
        sa.select(PoolIteration).where(PoolIteration.round_id == round_.id))}
    by_iteration: dict[int, list[PoolRequest]] = {}
    for request in requests:
        by_iteration.setdefault(request.iteration, []).append(request)
    last = max([round_.iteration, *published, *by_iteration])
    return [IterationRows(n, sorted(by_iteration.get(n, []), key=lambda r: r.project.name),
                          published.get(n))
            for n in range(1, last + 1)]


def standing_requests(session: Session, round_: PoolRound, iteration: int
                      ) -> list[PoolRequest]:
    """The requests of *iteration* that were not withdrawn, by project id."""
    return list(session.scalars(sa.select(PoolRequest).where(
        PoolRequest.round_id == round_.id, PoolRequest.iteration == iteration,
        PoolRequest.withdrawn.is_(False)).order_by(PoolRequest.project_id)))


def open_rounds_for_unit(session: Session, unit_or_currency: str) -> list[PoolRound]:
    """Rounds open for requests on pools that share *unit_or_currency*
    (a ledger unit such as "hour", or a currency code): the needs board
    links a contested resource to them."""
    return list(session.scalars(
        sa.select(PoolRound).join(Pool, Pool.id == PoolRound.pool_id)
        .where(PoolRound.status == PoolRound.OPEN, Pool.closed_at.is_(None),
               sa.or_(Pool.unit == unit_or_currency, Pool.currency == unit_or_currency))
        .options(selectinload(PoolRound.pool)).order_by(PoolRound.iteration_closes_at)))


def allocations_for_project(session: Session, project: Project) -> list[PoolAllocation]:
    """What *project* received from pools, newest round first, with each
    round and pool loaded."""
    return list(session.scalars(
        sa.select(PoolAllocation).where(PoolAllocation.project_id == project.id)
        .options(selectinload(PoolAllocation.round).selectinload(PoolRound.pool))
        .order_by(PoolAllocation.id.desc())))
