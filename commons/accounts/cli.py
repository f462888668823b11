"""``flask --app commons users ...``"""

import click
from flask.cli import AppGroup

from commons import clock
from commons.accounts import services
from commons.extensions import db
from commons.problems import Problem

users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The password; asked for when left out.")
def create_user(username: str, email: str, password: str) -> None:
    """Create an account USERNAME with the address EMAIL, confirmed: the
    operator running this vouches for it, so no link is mailed."""
    try:
        now = clock.now()
        user = services.register_user(db.session, username, email, password, now,
                                      confirmed_at=now)
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        raise click.ClickException(problem.message) from None
    click.echo(f"Created {user.username} <{user.primary_email}>.")
