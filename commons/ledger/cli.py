"""``flask --app commons ledger verify SLUG`` and ``ledger prune-evidence``.

Run from the command line these get an app without its pages, API, mail
or jobs (``commons.DATABASE_ONLY_COMMANDS``), so this module imports the
modules it uses (``verifying``, not the ``services`` front door that
imports every use case): its imports are the command's start-up."""

import sys
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from commons import clock
from commons.extensions import db
from commons.ledger import retention, verifying
from commons.projects.models import Project

ledger = AppGroup("ledger", help="The inputs ledger.")


@ledger.command("verify")
@click.argument("slug")
@click.option("--since-last", is_flag=True,
              help="Check only from the last entry a verify found intact (after checking "
                   "that entry still has the hash it had); the balances are not rebuilt.")
@click.option("--one-process", is_flag=True,
              help="Walk the whole journal in this process only, as on a machine with no "
                   "second core to spare (by default, on SQLite, a long journal's chain is "
                   "checked in a second process).")
def verify(slug: str, since_last: bool, one_process: bool) -> None:
    """Recompute SLUG's hash chain from the first entry and rebuild its
    balances from the journal alone. Exit 0 if intact; 1 and the first bad
    entry if not. Each intact verify keeps the head as the checkpoint
    --since-last starts from."""
    # The lookup of projects.get_project, without importing the projects'
    # use cases (git, licences): a tenth of the start-up of --since-last.
    project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
    if project is None:
        raise click.ClickException(f"There is no project “{slug}”. Check the address, or "
                                   "browse /projects.")
    if since_last:
        result = verifying.verify_since_checkpoint(db.session, project, clock.now())
    else:
        result = verifying.verify(db.session, project, clock.now(), split=False if one_process else None)
    db.session.commit()
    seq, digest = result.head
    if result.intact:
        if result.since:
            click.echo(f"{slug}: {result.entries} entries after the checkpoint at entry "
                       f"{result.since}, chain intact. Head: entry {seq} {digest}")
        else:
            click.echo(f"{slug}: {result.entries} entries, chain intact, balances match. "
                       f"Head: entry {seq} {digest}")
        return
    click.echo(f"{slug}: entry {result.bad_seq} is bad: {result.problem}.", err=True)
    where = f" after the checkpoint at entry {result.since}" if result.since else ""
    click.echo(f"Checked {result.entries} entries{where}; the head row says entry {seq} "
               f"{digest}.", err=True)
    sys.exit(1)


@ledger.command("prune-evidence")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def prune_evidence(dry_run: bool) -> None:
    """Remove evidence files that no receipt names and nobody uploaded in the
    last COMMONS_EVIDENCE_GRACE seconds. Run it from cron, e.g. daily; safe
    to run beside the web server."""
    grace = int(current_app.config["EVIDENCE_GRACE"])
    pruned = retention.prune_evidence(
        db.session, Path(current_app.config["EVIDENCE_DIR"]), grace=timedelta(seconds=grace),
        now=clock.now(), dry_run=dry_run)
    for name, size in pruned.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'} {name} ({size} bytes)")
    count = len(pruned.removed)
    click.echo(f"{'Would remove' if dry_run else 'Removed'} {count} evidence "
               f"file{'' if count == 1 else 's'} ({pruned.removed_bytes} bytes) that no receipt "
               f"names, uploaded more than {grace} seconds ago; kept {pruned.kept}.")
