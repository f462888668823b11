"""The ledger's pages: a project's ledger and chart, and the platform-wide
needs board; each input's pages are in input_pages.py, the journal,
corrections, work and evidence in journal_pages.py, all on the one
blueprint from blueprint.py. A passed input proposal approves its input
when the worker decides it, never when a page is read."""

import dataclasses

from flask import abort, render_template, request, url_for

from commons import clock, paging
from commons.extensions import db

# Imported for their routes: they join the one ledger blueprint.
from commons.ledger import (  # noqa: F401
    board,
    chart,
    claim_pages,
    confirm_pages,
    input_pages,
    journal_pages,
    recurring,
    services,
)
from commons.ledger.blueprint import MAX_INT, bp, is_member, load_project
from commons.pools import reading as pools

__all__ = ["bp"]


# ---------------------------------------------------------------- the ledger

INPUTS_PER_PAGE = 50

@bp.route("/projects/<slug>/ledger", endpoint="ledger")
def ledger_page(slug: str):
    project = load_project(slug)
    after = request.args.get("after", type=int)
    after = after if after is not None and 0 <= after <= MAX_INT else None
    # A page of inputs, and the chart of the first open ones: the page costs
    # the same with 20 inputs or 20,000.
    today = clock.now().date()
    inputs = services.list_inputs(db.session, project, after=after, limit=INPUTS_PER_PAGE + 1)
    more = len(inputs) > INPUTS_PER_PAGE
    # Recurring needs as they stand this month.
    inputs = recurring.all_as_of(inputs[:INPUTS_PER_PAGE], today)
    charted = recurring.all_as_of(services.list_inputs(db.session, project, not_closed=True,
                                                       limit=chart.MAX_ROWS), today)
    drawn = chart.layout(charted)
    if len(charted) == chart.MAX_ROWS:
        drawn = dataclasses.replace(drawn, omitted=services.count_inputs(
            db.session, project, not_closed=True) - len(drawn.rows))
    head = services.head(db.session, project)
    return render_template(
        "ledger/ledger.html", project=project, inputs=inputs, member=is_member(project),
        totals=services.totals(db.session, project, head, today), head=head,
        funds=services.project_funds(db.session, project),
        chart=drawn, series=chart.SERIES, after=after,
        next_after=inputs[-1].number if more else None,
        from_pools=pools.received_from_pools(db.session, project))


# ---------------------------------------------------------------- needs board

@bp.route("/needs")
def needs():
    cursor = request.args.get("cursor")
    try:
        after = paging.decode(cursor, board.CURSOR) if cursor else None
        if after is not None:
            board.check_cursor(after)
    except paging.BadCursor as problem:
        abort(400, description=problem.message)
    page = board.board_page(db.session, clock.now().date(), after, board.PER_PAGE)
    # Progress bars on one scale per unit across the whole board, not the
    # page: what 5 kg is beside 20 kg is the same whichever project needs it.
    bars = {need.id: bar for (need, _), bar in zip(
        page.rows, chart.progress((need for need, _ in page.rows), page.scales), strict=True)}
    following = url_for("ledger.needs", cursor=paging.encode(page.next_key)) \
        if page.next_key else None
    groups = chart.needs_board(page.rows, page.projects, page.still_needed)
    # A contested resource links to the open rounds on pools in its unit:
    # where the projects that wait for it can share it out instead.
    rounds = pools.open_rounds_for_units(db.session, sorted(
        {unit for group in groups if group.projects > 1 for unit in group.still_needed}))
    return render_template("ledger/needs.html", page=page, bars=bars, following=following,
                           later=cursor is not None, groups=groups, rounds=rounds)
