"""Which database objects belong to search (migration 0018) rather than to
the models: autogenerate and tests/test_migrations.py leave them alone,
since SQLite's FTS5 tables and PostgreSQL's tsvector columns have no
portable model."""

PREFIX = "search_"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: False for search's own tables (and
    FTS5's shadow tables), columns and indexes, all named ``search_*``."""
    return not (name or "").startswith(PREFIX)
