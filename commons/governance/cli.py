"""``flask --app commons governance tick``"""

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from commons import clock
from commons.extensions import db
from commons.governance import services
from commons.pools import allocating as pools_allocating
from commons.pools import closing as pools_closing
from commons.projects.models import Project

governance = AppGroup("governance", help="Decide proposals.")


@governance.command("tick")
@click.option("--now", "moment", help="Decide as if it were this ISO 8601 time (for testing).")
def tick(moment: str | None) -> None:
    """Decide every proposal whose window has closed and carry out what
    passed, and close every pool round's iteration whose time is up, now,
    by hand: the workers do it at each close. Safe to run at the same time
    as itself and the workers (each decision and each close is claimed
    once)."""
    now = clock.now()
    if moment:
        try:
            now = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T12:00:00Z") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    settings = services.Settings.from_config(current_app.config)
    closed = pools_closing.close_due_iterations(db.session, now, settings)
    decided = services.decide_due(db.session, settings, now)
    pools_allocating.allocate_ready(db.session, now)  # what closes and decisions settled
    slugs = dict(db.session.execute(sa.select(Project.id, Project.slug).where(
        Project.id.in_({d.project_id for d in decided}))).all()) if decided else {}
    for decision in decided:
        click.echo(f"{slugs[decision.project_id]} #{decision.number} ({decision.kind}): "
                   f"{decision.status}. {decision.outcome}")
    click.echo(f"Decided {len(decided)} proposal{'s' if len(decided) != 1 else ''}.")
    if closed:
        click.echo(f"Closed {closed} pool round iteration{'s' if closed != 1 else ''}.")
