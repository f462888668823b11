"""``flask --app commons git prune``"""

from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from commons import clock
from commons.extensions import db
from commons.git import pruning
from commons.git.repositories import repository_path
from commons.governance import services as governance
from commons.projects.models import Project

git = AppGroup("git", help="Look after the repositories.")


@git.command("prune")
@click.option("--grace", type=click.IntRange(min=0),
              help="Keep what was written in the last SECONDS "
                   "(default: COMMONS_GIT_PRUNE_GRACE).")
@click.option("--now", "moment", help="Prune as if it were this ISO 8601 time (for testing).")
def prune(grace: int | None, moment: str | None) -> None:
    """Delete commits and files no branch or tag holds any more (force-pushed
    away) once the grace period has passed, in every repository. Commits an
    open merge proposal pins are kept. Safe to run beside the web server."""
    now = clock.now()
    if moment:
        try:
            now = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T12:00:00Z") from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    if grace is None:
        grace = int(current_app.config["GIT_PRUNE_GRACE"])
    cutoff = now - timedelta(seconds=grace)
    failed = 0
    for project in db.session.scalars(sa.select(Project).order_by(Project.slug)):
        path = repository_path(current_app.config["REPOS_DIR"], project.slug)
        if not path.is_dir():
            click.echo(f"{project.slug}: no repository at {path}; skipped.", err=True)
            continue
        try:
            result = pruning.prune(path, cutoff, governance.pinned_commits(db.session, project))
        except pruning.PruneError as error:
            failed += 1
            click.echo(f"{project.slug}: not pruned: {error}", err=True)
            continue
        click.echo(f"{project.slug}: {result.objects_before} objects, "
                   f"{result.objects_after} after pruning.")
    click.echo(f"Pruned what was unreachable before {pruning.git_date(cutoff)}.")
    if failed:
        raise click.ClickException(f"{failed} repositor{'ies' if failed != 1 else 'y'} could not "
                                   "be pruned; see above, fix, and run it again.")
