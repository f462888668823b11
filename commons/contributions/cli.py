"""``flask --app commons contributions reindex SLUG``"""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from commons import jobs
from commons.contributions import services
from commons.extensions import db
from commons.git.repositories import repository_path
from commons.problems import NotFound
from commons.projects import services as projects

contributions = AppGroup("contributions", help="Contributor records.")


@contributions.command("reindex")
@click.argument("slug")
@click.option("--in-background", is_flag=True,
              help="Put it on the job queue for a worker, and return at once.")
def reindex(slug: str, in_background: bool) -> None:
    """Rebuild SLUG's git-derived records from its repository (every branch
    and tag), and its deliveries from the ledger's journal. Pushes keep the
    records up to date; this is for histories that arrived another way. It
    sees the repository as it is now: commits that were only on branches
    deleted since drop out, where pushes had counted them."""
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    if in_background:
        jobs.enqueue("contributions.reindex", slug=project.slug)
        click.echo(f"{slug}: reindexing is on the job queue; `flask --app commons jobs "
                   "status` shows what waits.")
        return
    path = repository_path(current_app.config["REPOS_DIR"], slug)
    bar = None

    def started(total: int) -> None:
        nonlocal bar
        bar = click.progressbar(length=total, label=f"Indexing {slug}", file=sys.stderr,
                                show_pos=True, show_eta=True)
        bar.__enter__()

    def advanced(steps: int) -> None:
        assert bar is not None, "started() comes first"
        bar.update(steps)

    try:
        count = services.reindex(db.session, project, path, progress=advanced, started=started)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    db.session.commit()
    click.echo(f"{slug}: {count} commits indexed.")
