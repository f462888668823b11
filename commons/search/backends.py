"""The two full-text indexes behind one interface: which rows of a kind
match a query, best first, and how many match (counted up to a cap).

SQLite: the FTS5 tables of migration 0018, ranked by bm25 with the title
weighing more. PostgreSQL: the ``search_vector`` columns with their GIN
indexes, ranked by ts_rank (the title is weight A). Both take the query
only through rules.fts5_match or rules.tsquery, as a bound parameter."""

from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.search import rules


@dataclass(frozen=True)
class Kind:
    """A searched kind: its index (named as in migration 0018), its table,
    and the column that says which project a row belongs to."""

    index: str
    table: str
    project_column: str


PROJECTS = Kind("search_projects", "projects", "id")
PROPOSALS = Kind("search_proposals", "proposals", "project_id")
NEEDS = Kind("search_needs", "ledger_inputs", "project_id")


class Backend(Protocol):
    """*ids*: the best *limit* matches, ranked among all of them, or with a
    *pool* only among the newest *pool* (ranking every row of a word that
    is in most of them costs more than it tells); *count*: how many match,
    counting stops at *cap*."""

    def ids(self, session: Session, kind: Kind, query: rules.Query, limit: int,
            project_id: int | None = None, pool: int | None = None) -> list[int]: ...

    def count(self, session: Session, kind: Kind, query: rules.Query, cap: int,
              project_id: int | None = None) -> int: ...


class SQLiteBackend:
    def ids(self, session: Session, kind: Kind, query: rules.Query, limit: int,
            project_id: int | None = None, pool: int | None = None) -> list[int]:
        values = {"match": rules.fts5_match(query), "limit": limit, "project": project_id,
                  "pool": pool, "low": 0}
        within = self._within(kind, project_id)
        if pool is not None:
            # FTS5 walks its rowids newest first and stops; a rowid range
            # then keeps bm25 to that pool.
            values["low"] = session.scalar(sa.text(
                f"SELECT min(rowid) FROM (SELECT f.rowid AS rowid FROM {kind.index} AS f "
                f"{within} WHERE {kind.index} MATCH :match ORDER BY f.rowid DESC "
                "LIMIT :pool)"), values) or 0
        rows = session.execute(sa.text(
            f"SELECT f.rowid FROM {kind.index} AS f {within} "
            f"WHERE {kind.index} MATCH :match AND f.rowid >= :low "
            f"ORDER BY bm25({kind.index}, 4.0, 1.0) LIMIT :limit"), values)
        return [row[0] for row in rows]

    def count(self, session: Session, kind: Kind, query: rules.Query, cap: int,
              project_id: int | None = None) -> int:
        return session.scalar(sa.text(
            f"SELECT count(*) FROM (SELECT 1 FROM {kind.index} AS f "
            f"{self._within(kind, project_id)} WHERE {kind.index} MATCH :match "
            "LIMIT :cap)"),
            {"match": rules.fts5_match(query), "cap": cap, "project": project_id}) or 0

    @staticmethod
    def _within(kind: Kind, project_id: int | None) -> str:
        if project_id is None:
            return ""
        return (f"JOIN {kind.table} AS t ON t.id = f.rowid "
                f"AND t.{kind.project_column} = :project")


class PostgreSQLBackend:
    def ids(self, session: Session, kind: Kind, query: rules.Query, limit: int,
            project_id: int | None = None, pool: int | None = None) -> list[int]:
        newest = "" if pool is None else "ORDER BY id DESC LIMIT :pool"
        rows = session.execute(sa.text(
            f"SELECT id FROM (SELECT id, search_vector FROM {kind.table} "
            f"WHERE search_vector @@ to_tsquery('simple', :tsquery) "
            f"{self._within(kind, project_id)} {newest}) AS found, "
            "to_tsquery('simple', :tsquery) AS q "
            "ORDER BY ts_rank(search_vector, q) DESC, id DESC LIMIT :limit"),
            {"tsquery": rules.tsquery(query), "limit": limit, "project": project_id,
             "pool": pool})
        return [row[0] for row in rows]

    def count(self, session: Session, kind: Kind, query: rules.Query, cap: int,
              project_id: int | None = None) -> int:
        return session.scalar(sa.text(
            f"SELECT count(*) FROM (SELECT 1 FROM {kind.table} "
            f"WHERE search_vector @@ to_tsquery('simple', :tsquery) "
            f"{self._within(kind, project_id)} LIMIT :cap) AS found"),
            {"tsquery": rules.tsquery(query), "cap": cap, "project": project_id}) or 0

    @staticmethod
    def _within(kind: Kind, project_id: int | None) -> str:
        return "" if project_id is None else f"AND {kind.project_column} = :project"


def for_session(session: Session) -> Backend:
    """The backend for the database *session* is bound to."""
    if session.get_bind().dialect.name == "postgresql":
        return PostgreSQLBackend()
    return SQLiteBackend()
