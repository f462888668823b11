"""``flask --app commons ledger verify SLUG``"""

import sys

import click
from flask.cli import AppGroup

from commons.extensions import db
from commons.ledger import services
from commons.problems import NotFound
from commons.projects import services as projects

ledger = AppGroup("ledger", help="The inputs ledger.")


@ledger.command("verify")
@click.argument("slug")
def verify(slug: str) -> None:
    """Recompute SLUG's hash chain from the first entry and rebuild its
    balances from the journal alone. Exit 0 if intact; 1 and the first bad
    entry if not."""
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    result = services.verify(db.session, project)
    seq, digest = result.head
    if result.intact:
        click.echo(f"{slug}: {result.entries} entries, chain intact, balances match. "
                   f"Head: entry {seq} {digest}")
        return
    click.echo(f"{slug}: entry {result.bad_seq} is bad: {result.problem}.", err=True)
    click.echo(f"Checked {result.entries} entries; the head row says entry {seq} {digest}.",
               err=True)
    sys.exit(1)
