"""Migration 0018 fills the indexes from the rows already there, and goes
back down cleanly, on the database under test (a database of its own)."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from commons import create_app
from commons.extensions import db
from commons.search import services


def _fresh_database(database_uri: str, tmp_path) -> str:
    if not database_uri.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'migration.sqlite3'}"
    url = sa.engine.make_url(database_uri)
    name = f"{url.database}_search_migration"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_existing_rows_are_found_after_upgrading_and_nothing_is_left_after_downgrading(
        database_uri, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "REPOS_DIR": str(tmp_path / "repos"),
                      "SQLALCHEMY_DATABASE_URI": _fresh_database(database_uri, tmp_path)})
    with app.app_context():
        upgrade(revision="0016")
        db.session.execute(sa.text(
            "INSERT INTO projects (slug, name, description, license, default_branch, admission, "
            "push_policy, outside, review_window, notify_outside_authors, approval_amount, "
            "approval_currency, created_at) VALUES ('mill', 'Grain mill', 'Stone-ground flour', "
            "'MIT', 'main', 'open', 'review', 'accept', 60, false, '0', 'EUR', "
            "'2026-12-01 00:00:00')"))
        db.session.commit()
        upgrade(revision="0018")
        found = services.search(db.session, "flour", services.Settings())
        assert [item.row.slug for item in found.projects.items] == ["mill"]
        db.session.commit()
        downgrade(revision="0016")
        names = sa.inspect(db.engine).get_table_names()
        columns = [c["name"] for c in sa.inspect(db.engine).get_columns("projects")]
        assert not [n for n in names if n.startswith("search_")]
        assert "search_vector" not in columns
        db.session.execute(sa.text("UPDATE projects SET name = 'Mill' WHERE slug = 'mill'"))
        db.session.commit()
        upgrade(revision="0018")
        assert services.search(db.session, "mill", services.Settings()).projects.count == 1
        db.session.remove()
        db.engine.dispose()
    _drop(database_uri)


def _drop(database_uri: str) -> None:
    if database_uri.startswith("postgresql"):
        url = sa.engine.make_url(database_uri)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{url.database}_search_migration"'))
        engine.dispose()
