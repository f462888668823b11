"""``flask --app commons pools verify [ID]``"""

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from commons.extensions import db
from commons.pools.models import Pool
from commons.pools.verifying import verify_pool

pools = AppGroup("pools", help="Pools of shared inputs and their planning rounds.")


@pools.command("verify")
@click.argument("pool_id", type=int, required=False)
def verify(pool_id: int | None) -> None:
    """Recompute the hash chain of pool POOL_ID's journal (every pool's
    without it) and compare what it says with the stored pool. Exit 0 if
    all are intact; 1, naming the first bad entry of each, if not."""
    ids = [pool_id] if pool_id is not None else list(
        db.session.scalars(sa.select(Pool.id).order_by(Pool.id)))
    bad = 0
    for number in ids:
        pool = db.session.get(Pool, number)
        if pool is None:
            raise click.ClickException(f"There is no pool #{number}.")
        result = verify_pool(db.session, pool)
        seq, digest = result.head
        if result.intact:
            click.echo(f"pool {number}: {result.entries} entries, chain intact, state matches. "
                       f"Head: entry {seq} {digest}")
        else:
            bad += 1
            click.echo(f"pool {number}: entry {result.bad_seq} is bad: {result.problem}.",
                       err=True)
    db.session.rollback()
    if bad:
        sys.exit(1)
