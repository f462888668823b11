"""The migration to verified addresses keeps every address that existed
confirmed (it was accepted as its holder's then), and from then on an
address is unique among confirmed addresses only."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from commons import create_app
from commons.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def verified_addresses_revision() -> tuple[str, str]:
    """(the revision, the one before it): found by file name, so the test
    holds however the revisions are renumbered."""
    script = ScriptDirectory(str(MIGRATIONS))
    for revision in script.walk_revisions():
        if revision.path.endswith("_verified_addresses.py"):
            return revision.revision, revision.down_revision
    raise AssertionError("no verified addresses migration")


def test_existing_addresses_stay_confirmed_and_only_confirmed_ones_are_unique(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "QUEUE_URL": "immediate",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite3'}",
                      "MAIL_OUTBOX_DIR": str(tmp_path / "outbox")})
    ours, before = verified_addresses_revision()
    created = datetime(2026, 1, 2, 3, 4, 5)
    with app.app_context():
        upgrade(revision=before)
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO users (id, username, password_hash, created_at) VALUES "
                "(1, 'ada', 'x', :at), (2, 'bo', 'x', :at)"), {"at": created})
            connection.execute(sa.text(
                "INSERT INTO emails (id, user_id, address, created_at) VALUES "
                "(1, 1, 'ada@example.org', :at)"), {"at": created})
        upgrade(revision=ours)
        with db.engine.begin() as connection:
            confirmed_at, primary = connection.execute(sa.text(
                "SELECT confirmed_at, is_primary FROM emails WHERE id = 1")).one()
            assert datetime.fromisoformat(str(confirmed_at)).replace(tzinfo=UTC) == \
                created.replace(tzinfo=UTC)
            assert not primary
            # Another account may claim it, unconfirmed...
            connection.execute(sa.text(
                "INSERT INTO emails (user_id, address, created_at) VALUES "
                "(2, 'ada@example.org', :at)"), {"at": created})
        # ...but not confirm it while ada holds it.
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE emails SET confirmed_at = :at WHERE user_id = 2"), {"at": created})
        db.engine.dispose()
