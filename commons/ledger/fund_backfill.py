"""Funds for journals written before funds were kept (migration 0021):
each project's funds are folded from its journal by the same pure rules
the services use and written as rows, so ``ledger verify`` compares like
with like and the next receipt adds to the real figure. Plain SQL over
one connection, so a migration can call it."""

import json

import sqlalchemy as sa

from commons.ledger import rules


def backfill_funds(connection: sa.Connection) -> int:
    """Write every project's funds as its journal gives them (replacing any
    stored row); how many rows were written. A journal that does not fold
    is left alone: ``ledger verify`` names its bad entry."""
    written = 0
    projects = connection.execute(sa.text(
        "SELECT DISTINCT project_id FROM ledger_entries ORDER BY project_id")).scalars().all()
    for project_id in projects:
        rows = connection.execute(sa.text(
            "SELECT seq, action, payload FROM ledger_entries WHERE project_id = :project "
            "ORDER BY seq"), {"project": project_id})
        try:
            balances = rules.rebuild((seq, action, json.loads(payload)["data"])
                                     for seq, action, payload in rows)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue
        for currency, fund in sorted(balances.funds.items()):
            connection.execute(sa.text(
                "DELETE FROM ledger_funds WHERE project_id = :project AND currency = :currency"),
                {"project": project_id, "currency": currency})
            connection.execute(sa.text(
                "INSERT INTO ledger_funds (project_id, currency, received, paid) "
                "VALUES (:project, :currency, :received, :paid)"),
                {"project": project_id, "currency": currency,
                 "received": format(fund.received, "f"), "paid": format(fund.paid, "f")})
            written += 1
    return written
