"""``flask --app commons git prune|reconcile|sweep``"""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from commons import clock
from commons.extensions import db
from commons.git import pruning, reconcile, sweeping
from commons.git.repositories import repository_path
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
    for slug, result in pruning.prune_projects(db.session, current_app.config["REPOS_DIR"],
                                               cutoff):
        if isinstance(result, FileNotFoundError):
            click.echo(f"{slug}: {result}; skipped.", err=True)
        elif isinstance(result, Exception):
            failed += 1
            click.echo(f"{slug}: not pruned: {result}", err=True)
        else:
            click.echo(f"{slug}: {result.objects_before} objects, "
                       f"{result.objects_after} after pruning.")
    click.echo(f"Pruned what was unreachable before {pruning.git_date(cutoff)}.")
    if failed:
        raise click.ClickException(f"{failed} repositor{'ies' if failed != 1 else 'y'} could not "
                                   "be pruned; see above, fix, and run it again.")


@git.command("reconcile")
@click.argument("slugs", nargs=-1)
def reconcile_command(slugs: tuple[str, ...]) -> None:
    """Record every push git's reflogs show that has no record yet (a push
    whose server died after git accepted it), index its commits and revise
    what follows from it, for the projects named (default: all). The
    workers do this every few minutes; safe to run at any time."""
    statement = sa.select(Project).order_by(Project.slug)
    if slugs:
        statement = statement.where(Project.slug.in_(slugs))
    found = db.session.scalars(statement).all()
    if missing := set(slugs) - {project.slug for project in found}:
        raise click.ClickException(f"No project has the address {', '.join(sorted(missing))}; "
                                   "`flask --app commons git reconcile` alone does them all.")
    for project_id, slug in [(project.id, project.slug) for project in found]:
        path = repository_path(current_app.config["REPOS_DIR"], slug)
        result = reconcile.reconcile(db.session, project_id, path, clock.now(),
                                     slack=int(current_app.config["GIT_RECONCILE_SLACK"]),
                                     wall=time.time())
        click.echo(f"{slug}: {result.recorded} push(es) recorded, {result.finished} indexed"
                   + (f", {result.failed} failed (see the log)" if result.failed else "") + ".")


@git.command("sweep")
@click.option("--grace", type=click.IntRange(min=0),
              help="Keep what changed in the last SECONDS "
                   "(default: COMMONS_GIT_QUARANTINE_GRACE).")
def sweep_command(grace: int | None) -> None:
    """Remove what crashed pushes left behind (git's quarantine folders,
    incoming refs, push logs) once the grace period has passed. The workers
    do this every 15 minutes."""
    if grace is None:
        grace = int(current_app.config["GIT_QUARANTINE_GRACE"])
    repos_dir = Path(current_app.config["REPOS_DIR"])
    removed = sweeping.sweep(repos_dir, grace, sweeping.file_system_now(repos_dir))
    click.echo(f"Removed {removed} leftover(s) of crashed pushes.")
