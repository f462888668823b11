"""``flask --app commons demo``"""

import shutil
import tempfile
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from commons import clock, generations
from commons.demo import data
from commons.demo.loader import Demo, existing_data
from commons.extensions import db


@click.command("demo")
@with_appcontext
def demo() -> None:
    """Fill an EMPTY database with demo people, projects, git history,
    proposals, ledger entries and credits. Refuses when the database holds
    any account or project."""
    started = time.monotonic()
    repos_dir = Path(current_app.config["REPOS_DIR"])
    if problem := existing_data(db.session, repos_dir):
        db.session.rollback()
        raise click.ClickException(
            f"{problem} Nothing was written. To try the demo, start from an empty database: "
            "remove instance/commons.sqlite3 and the folders in repos/ (or point "
            "COMMONS_SQLALCHEMY_DATABASE_URI and COMMONS_REPOS_DIR at empty ones), then run "
            "`make demo` again.")
    workdir = Path(tempfile.mkdtemp(prefix="commons-demo-"))
    loader = Demo(db.session, current_app.config, clock.now(), workdir)
    try:
        summary = loader.load()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _erase(loader.created)
        click.echo("Loading the demo failed; what it had written is removed again.", err=True)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    proposals = ", ".join(f"{count} {status}" for status, count in sorted(summary.proposals.items()))
    click.echo(f"Loaded the demo in {time.monotonic() - started:.1f} s: "
               f"{len(summary.people)} people, projects {', '.join(summary.projects)}, "
               f"proposals {proposals}.")
    click.echo(f"Log in as any of {', '.join(summary.people)} with the password "
               f"“{data.PASSWORD}”.")


def _erase(repositories: list[Path]) -> None:
    """Undo a failed load. Pushes and decisions commit as they go, so a
    rollback cannot; the database held no account and no project when the
    demo started, so every row in it now is the demo's."""
    db.session.remove()  # type: ignore[attr-defined]  # the scoped session's own call
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    generations.advance()  # written past the session: what pages kept is gone too
    for path in repositories:
        shutil.rmtree(path, ignore_errors=True)
