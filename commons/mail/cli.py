"""``flask --app commons mail test ADDRESS``: check the mail settings."""

import click
from flask import current_app
from flask.cli import AppGroup

from commons import mail
from commons.extensions import db

group = AppGroup("mail", help="Mail: check that it reaches people.")


@group.command("test")
@click.argument("address")
def send_test(address: str) -> None:
    """Queue a test mail to ADDRESS; a worker delivers it (by SMTP, or into
    the outbox folder when COMMONS_MAIL_SERVER is unset)."""
    mail.send(db.session, address, "A test mail from commons", "test",
              {"server": current_app.config.get("MAIL_SERVER")})
    db.session.commit()
    where = current_app.config.get("MAIL_SERVER") or current_app.config["MAIL_OUTBOX_DIR"]
    click.echo(f"A test mail to {address} is queued; it goes to {where}.")
