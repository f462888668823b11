"""search: full-text indexes of projects, proposals and needs

SQLite: an external-content FTS5 table per kind, kept in step with its
table by triggers. PostgreSQL: a stored tsvector column per kind (the
'simple' configuration, so words of any language are kept as written, only
lowercased) with a GIN index. Both are filled from the rows already there.
The names all start with ``search_`` (commons.search.schema), which tells
autogenerate to leave them alone: they are not in the models.

A later SQLite migration that rebuilds one of these tables in batch mode
drops its triggers; it must create them again (see sqlite_triggers()
below: copy its statements, since a migration cannot import another).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 14:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# index name: (table, title column, text column)
INDEXES = {
    'search_projects': ('projects', 'name', 'description'),
    'search_proposals': ('proposals', 'title', 'body'),
    'search_needs': ('ledger_inputs', 'title', 'description'),
}
# Long texts are indexed up to this many characters (a tsvector holds 1 MB).
PG_TEXT_LIMIT = 100000


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for index, (table, _, _) in INDEXES.items():
            op.execute(f'DROP INDEX IF EXISTS {index}_vector')
            op.execute(f'ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector')
    else:
        for index in INDEXES:
            for suffix in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {index}_{suffix}')
            op.execute(f'DROP TABLE IF EXISTS {index}')


def _upgrade_postgresql():
    for index, (table, title, text) in INDEXES.items():
        # A generated column: every insert and update keeps it in step, and
        # ranking reads it instead of parsing the text again.
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"setweight(to_tsvector('simple', coalesce({title}, '')), 'A') || "
            f"setweight(to_tsvector('simple', left(coalesce({text}, ''), {PG_TEXT_LIMIT})), 'B')"
            f") STORED")
        op.execute(f'CREATE INDEX {index}_vector ON {table} USING gin (search_vector)')


def _upgrade_sqlite():
    options = {row[0] for row in op.get_bind().exec_driver_sql('PRAGMA compile_options')}
    if 'ENABLE_FTS5' not in options:
        raise RuntimeError(
            'This SQLite has no FTS5, which search needs: use a Python whose sqlite3 module '
            'is built with it (python.org and Debian builds are), or PostgreSQL.')
    for statement in sqlite_statements():
        op.execute(statement)
    for index in INDEXES:
        op.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")


def sqlite_statements():
    """The FTS5 tables and the triggers that keep each in step with its
    table (also what a later batch migration of those tables runs again)."""
    statements = []
    for index, (table, title, text) in INDEXES.items():
        # unicode61 folds case and, with remove_diacritics 2, accents too:
        # "dorrautomat" finds "Dörrautomat".
        statements.append(
            f"CREATE VIRTUAL TABLE {index} USING fts5({title}, {text}, content='{table}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='3')")
        statements += sqlite_triggers(index, table, title, text)
    return statements


def sqlite_triggers(index, table, title, text):
    remove = (f"INSERT INTO {index}({index}, rowid, {title}, {text}) "
              f"VALUES ('delete', old.id, old.{title}, old.{text});")
    add = f"INSERT INTO {index}(rowid, {title}, {text}) VALUES (new.id, new.{title}, new.{text});"
    return [
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {title}, {text} ON {table} "
        f"BEGIN {remove} {add} END",
    ]
