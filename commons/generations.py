"""The data's generation: a token in the rendering cache that changes after
every committed transaction that wrote anything, so figures computed from
many tables (a project's contributor records) can be kept under it and a
later view pays one lookup instead of their queries.

Any write at all counts (no list of tables to forget one from): the
contributor records read commits, accounts and their addresses, proposals,
stances, the journal and the tallies kept from it, credits, work logs and
their confirmations, the value rules. Pages that only read leave the
generation alone, which is what makes keeping anything worth it.

The token changes *after* the commit, so whoever reads the new token reads
the committed data; figures computed under an older token are never looked
up again. It lives in the shared cache (Redis in production), so every
worker and every instance sees the same one. A cache that cannot be read
gives no token and the figures are computed each time; a change that cannot
be written is logged and leaves kept figures stale until they expire
(``KEPT_SECONDS``)."""

import logging
import re
import uuid
from collections.abc import Callable
from typing import TypeVar

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY = "data-generation"
# How long a value kept under a generation is looked up at most.
KEPT_SECONDS = 300
_WROTE = "commons.generations.wrote"         # on a DBAPI connection's info
_CONNECTIONS = "commons.generations.connections"  # on a session's info
# Statements that change nothing; anything else (INSERT, UPDATE, DELETE,
# WITH ... INSERT, DDL, an unknown verb) counts as a write.
_READS = ("SELECT", "SHOW", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "SET ",
          "EXPLAIN")
# Tables no kept value reads, whose writes need not advance the generation:
# `ledger verify` writes its checkpoint on every run, and a database-only
# command should not load the cache's libraries for it; the path index is
# written in dozens of transactions when a long history comes in. Forgetting
# a table here costs a needless recomputation, never a stale page.
_UNREAD = frozenset({"ledger_checkpoints", "path_index_lines", "path_index_commits",
                     "path_index_changes"})
_TARGET = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


def connect() -> None:
    """Follow every engine's statements and every session's commits
    (idempotent)."""
    if not event.contains(Engine, "before_cursor_execute", _note_write):
        event.listen(Engine, "before_cursor_execute", _note_write)
        event.listen(Session, "after_begin", _note_connection)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _forget)


def _note_write(connection, cursor, statement: str, parameters, context, executemany) -> None:
    if statement.lstrip()[:9].upper().startswith(_READS):
        return
    target = _TARGET.match(statement)
    if target is None or target.group(1).lower() not in _UNREAD:
        connection.info[_WROTE] = True


def _note_connection(session: Session, transaction, connection) -> None:
    # The connection's info outlives its checkout; the flag is read after
    # the commit, when the session may have given the connection back.
    session.info.setdefault(_CONNECTIONS, []).append(connection.info)


def _wrote(session: Session) -> bool:
    wrote = False
    for info in session.info.pop(_CONNECTIONS, []):
        wrote = info.pop(_WROTE, False) or wrote
    return wrote


def _after_commit(session: Session) -> None:
    if _wrote(session):
        advance()


def _forget(session: Session) -> None:
    _wrote(session)


def advance() -> None:
    """A new generation: what was kept under the last one is no longer
    looked up."""
    # Imported here: a database-only command (`ledger verify`) that writes
    # nothing never loads the cache's libraries (tests/test_command_start_up.py).
    from commons import metrics, render_cache

    if not has_app_context():
        log.warning("a write was committed outside an app: kept figures stay until they expire")
        return
    try:
        stored = render_cache.extension().set(KEY, uuid.uuid4().hex, timeout=0)
    except Exception:  # noqa: BLE001 (any backend's failure)
        stored = False
    if stored is False:
        log.warning("the data's generation could not be advanced: kept figures stay until "
                    "they expire")
        metrics.render_cache.labels("error").inc()


def current() -> str | None:
    """The generation now, or None when the cache cannot tell (nothing is
    then kept or looked up under it)."""
    from commons import render_cache

    try:
        cache = render_cache.extension()
        token = cache.get(KEY)
        if token is None:
            # First use, or evicted: a fresh one, set before anything is
            # read under it.
            token = uuid.uuid4().hex
            if cache.set(KEY, token, timeout=0) is False:
                return None
    except Exception:  # noqa: BLE001
        log.warning("the data's generation cannot be read; computing figures", exc_info=True)
        return None
    return token


def kept(key: str, make: Callable[[], T], timeout: int = KEPT_SECONDS) -> T:
    """What make() returns for the data as it stands: looked up under *key*
    and the current generation, or made and kept there for *timeout*
    seconds at most (the bound on staleness should a new generation fail
    to be stored). *key* names everything else the value depends on."""
    from commons import render_cache

    if render_cache.keeps_nothing():  # no uuid, pickling and compressing per view
        return make()
    generation = current()
    if generation is None:
        return make()
    return render_cache.fetch(f"{key}:{generation}", make, timeout=timeout)
