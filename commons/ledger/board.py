"""The needs board, a page at a time: every project's open needs
(``rules.is_open``), grouped by resource, the resources most projects
compete for first, read with a keyset cursor so the thousandth page costs
what the first does and only one page of needs is loaded and drawn.

What spans pages is computed in SQL over every open need, never from the
page alone: how many projects need each resource on the page, what they
still need together, each unit's bar scale, and the board's totals.

The ranking is live: a resource whose count of projects changes between
two pages may move across the cut (another resource's needs then show
twice or not at all), but the resource a page ended in always goes on
where it stopped."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons import paging
from commons.ledger import recurring
from commons.ledger.models import Input
from commons.ledger.queries import open_clause
from commons.projects.models import Project

PER_PAGE = 100
# An undated need sorts after every dated one of its resource.
UNDATED = date(9999, 12, 31)
# The cursor: (-projects, resource, needed by or UNDATED as ISO text, input id).
CURSOR = (int, str, str, int)


@dataclass
class BoardPage:
    rows: list[tuple[Input, Project]]
    projects: dict[str, int]                       # resource -> projects needing it
    still_needed: dict[str, dict[str, Decimal]]    # resource -> unit -> together
    scales: dict[str, Decimal]                     # unit -> the board's bar scale
    needs: int = 0                                 # open needs on the whole board
    resources: int = 0
    next_key: tuple | None = None


def _binary(column, session: Session):
    """*column* compared by code point on both databases: PostgreSQL's
    default collation follows the locale, SQLite's is already binary."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


def check_cursor(after: Sequence) -> None:
    """A BadCursor unless *after*, shaped as CURSOR, holds a real date."""
    try:
        date.fromisoformat(after[2])
    except ValueError:
        raise paging.BadCursor("The cursor is not one this list gave out. Follow the "
                               "\"Next\" link as given, or leave the cursor out to start "
                               "from the first page.", field="cursor") from None


def board_page(session: Session, today: date, after: Sequence | None = None,
               limit: int = PER_PAGE) -> BoardPage:
    """*limit* open needs in the month of *today* after the cursor key
    *after* (from a previous page's ``next_key``), with what the page's
    groups and bars need. Recurring needs are on it in the months they
    are open in, with their figures as of *today*'s month
    (``recurring.as_of``)."""
    open_now = open_clause(today)
    groups = (sa.select(Input.resource.label("resource"),
                        sa.func.count(sa.distinct(Input.project_id)).label("projects"))
              .where(open_now).group_by(Input.resource).subquery())
    rank = (0 - groups.c.projects)
    resource = _binary(Input.resource, session)
    due = sa.func.coalesce(Input.needed_by, UNDATED)
    statement = (sa.select(Input, Project, groups.c.projects)
                 .join(groups, groups.c.resource == Input.resource)
                 .join(Project, Project.id == Input.project_id).where(open_now))
    if after is not None:
        neg, key, when, last_id = after
        # The cursor's own resource keeps the rank it had on the page
        # before: if a project joined or left it since, the rest of its
        # needs still come next, neither skipped nor drawn twice.
        rank = sa.case((Input.resource == key, sa.literal(neg)), else_=rank)
        statement = statement.where(sa.tuple_(rank, resource, due, Input.id) >
                                    sa.tuple_(sa.literal(neg), sa.literal(key),
                                              sa.literal(date.fromisoformat(when), sa.Date),
                                              sa.literal(last_id)))
    found = session.execute(statement.order_by(rank, resource, due, Input.id)
                            .limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    page = BoardPage(rows=[(recurring.as_of(need, today), project)
                           for need, project, _ in found],
                     projects={need.resource: count for need, _, count in found},
                     still_needed={}, scales=_scales(session, today))
    if more:
        need, _, count = found[-1]
        # The rank this page was ordered by: the cursor's resource kept its
        # old one, and keeps it on every page it runs over.
        ranked = after[0] if after is not None and need.resource == after[1] else -count
        page.next_key = (ranked, need.resource, (need.needed_by or UNDATED).isoformat(),
                         need.id)
    keys = sorted(page.projects)
    if keys:
        for row in session.execute(
                sa.select(Input.resource, Input.unit, Input.still_needed, Input.recurs,
                          Input.starts, Input.needed, Input.received, Input.pledged,
                          Input.closed, Input.approved)
                .where(open_now, Input.resource.in_(keys))):
            sums = page.still_needed.setdefault(row.resource, {})
            amount = recurring.as_of(row, today).still_needed
            sums[row.unit] = sums.get(row.unit, Decimal(0)) + amount
        page.still_needed = {key: dict(sorted(sums.items()))
                             for key, sums in page.still_needed.items()}
    page.needs, page.resources = session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Input.resource)))
        .where(open_now)).one()
    return page


def _scales(session: Session, today: date) -> dict[str, Decimal]:
    """Each unit's scale across the whole board (``chart.scales`` over every
    open need): the largest of needed, or received plus pledged. Needs
    needed once in SQL; the open recurring ones (few: rent, hosting), whose
    needed runs through this month, as they stand in it."""
    number = sa.Numeric(38, 12)
    open_now = open_clause(today)
    rows = session.execute(
        sa.select(Input.unit, sa.func.max(sa.cast(Input.needed, number)),
                  sa.func.max(sa.cast(Input.received, number) + sa.cast(Input.pledged, number)))
        .where(open_now, Input.recurs.is_(None)).group_by(Input.unit))
    found = {unit: max(Decimal(str(needed or 0)), Decimal(str(supplied or 0)))
             for unit, needed, supplied in rows}
    for row in session.execute(
            sa.select(Input.unit, Input.recurs, Input.starts, Input.needed, Input.received,
                      Input.pledged, Input.closed, Input.approved)
            .where(open_now, Input.recurs.is_not(None))):
        seen = recurring.as_of(row, today)
        found[row.unit] = max(found.get(row.unit, Decimal(0)), seen.needed,
                              row.received + row.pledged)
    return found
