"""Reading the ledger: inputs, journal entries, totals, the needs board
and what pages show beside them. Nothing here writes."""

import json
from collections import OrderedDict
from datetime import date
from threading import Lock

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.ledger import recurring, rules
from commons.ledger.checks import MAX_NUMBER
from commons.ledger.models import EvidenceFile, Input, LedgerEntry, LedgerHead, Pledge, WorkLog
from commons.problems import NotFound
from commons.projects.models import Project


def get_input(session: Session, project: Project, number: int) -> Input:
    if not 0 < number <= MAX_NUMBER:
        raise NotFound(f"{project.name} has no input #{number}.")
    need = session.scalar(sa.select(Input).where(Input.project_id == project.id,
                                                 Input.number == number)
                          .options(selectinload(Input.pledges).selectinload(Pledge.pledger)))
    if need is None:
        raise NotFound(f"{project.name} has no input #{number}.")
    return need


def open_clause(today):
    """``rules.is_open`` as SQL, for lists that filter before they load:
    not closed, and something still needed. An open input's status is
    pending or approved (covered and fulfilled ones need nothing more), so
    the indexed status narrows the rows first; still needed is stored as
    exact text, so it is compared as a number. A recurring need (issue 20)
    is open in the month of *today* (a date, or a bound parameter of one)
    when the first month its supply does not cover has come, or is its
    start month (``recurrence_rules.is_open_in``): its stored status is
    pending or approved while it is not closed. Tests check the SQL and
    the rules agree."""
    # Months are stored as their first day: "on or before today" is
    # "in or before today's month".
    return sa.and_(Input.status.in_(("pending", "approved")), Input.closed.is_(False),
                   sa.or_(sa.and_(Input.recurs.is_(None),
                                  sa.cast(Input.still_needed, sa.Numeric) > 0),
                          sa.and_(Input.recurs.is_not(None),
                                  sa.or_(Input.uncovered_from <= today,
                                         Input.uncovered_from == Input.starts))))


def list_inputs(session: Session, project: Project, *, after: int | None = None,
                limit: int | None = None, open_only: date | None = None,
                not_closed: bool = False) -> list[Input]:
    """Inputs by number, *limit* at a time after the number *after*: all,
    the open ones in the month of *open_only* (``rules.is_open``), or those
    not closed."""
    statement = sa.select(Input).where(Input.project_id == project.id)
    if after is not None:
        statement = statement.where(Input.number > after)
    if open_only is not None:
        statement = statement.where(open_clause(open_only))
    if not_closed:
        statement = statement.where(Input.closed.is_(False))
    statement = statement.order_by(Input.number)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_inputs(session: Session, project: Project, not_closed: bool = False) -> int:
    statement = sa.select(sa.func.count()).select_from(Input).where(
        Input.project_id == project.id)
    if not_closed:
        statement = statement.where(Input.closed.is_(False))
    return session.scalar(statement) or 0


def journal(session: Session, project: Project, *, before: int | None = None,
            input_number: int | None = None, limit: int = 50) -> list[LedgerEntry]:
    """Entries newest first, *limit* at a time from *before* (a seq): a
    cursor, so page 20,000 costs what page 1 costs."""
    statement = sa.select(LedgerEntry).where(LedgerEntry.project_id == project.id)
    if input_number is not None:
        statement = statement.where(LedgerEntry.input_number == input_number)
    if before is not None:
        statement = statement.where(LedgerEntry.seq < before)
    statement = statement.order_by(LedgerEntry.seq.desc()).limit(limit)
    return list(session.scalars(statement.options(selectinload(LedgerEntry.actor))))


def get_entry(session: Session, project: Project, seq: int) -> LedgerEntry:
    if not 0 < seq <= MAX_NUMBER:
        raise NotFound(f"{project.name}'s ledger has no entry #{seq}.")
    entry = session.scalar(sa.select(LedgerEntry).where(LedgerEntry.project_id == project.id,
                                                        LedgerEntry.seq == seq))
    if entry is None:
        raise NotFound(f"{project.name}'s ledger has no entry #{seq}.")
    return entry


def entry_data(entry: LedgerEntry) -> dict:
    return json.loads(entry.payload)["data"]


def totals(session: Session, project: Project, head: tuple[int, str] | None = None,
           today: date | None = None) -> dict[str, rules.Totals]:
    """Per-currency totals over every input, from plain rows (a project may
    have thousands of inputs; only these columns are needed), recurring
    needs as they stand in the month of *today* (``recurring.as_of``; as
    stored when None).

    They change only when the journal (or the month) does, so they are
    kept per worker by the journal's head (seq and hash) and the month: a
    page read between two appends costs one primary-key lookup instead of
    folding every input again. *head* is the head the caller read just
    before, if it did. The answer is shared: read it, never change it."""
    before = head or _head_of(session, project)
    month = rules.month_of(today) if today is not None else None
    found = _TOTALS.get((project.id, month, *before))
    if found is not None:
        return found
    rows = session.execute(
        sa.select(Input.unit, Input.unit_cost, Input.currency, Input.still_needed,
                  Input.pledged, Input.received, Input.closed, Input.needed, Input.approved,
                  Input.recurs, Input.starts).where(Input.project_id == project.id))
    computed = rules.totals(rows if today is None else recurring.all_as_of(rows, today))
    # Kept only if no append landed between the two reads of the head: on
    # PostgreSQL each statement may see a newer commit than the one before.
    if _head_of(session, project) == before:
        _TOTALS.put((project.id, month, *before), computed)
    return computed


def _head_of(session: Session, project: Project) -> tuple[int, str]:
    row = session.execute(sa.select(LedgerHead.seq, LedgerHead.hash)
                          .where(LedgerHead.project_id == project.id)).first()
    return (row[0], row[1]) if row else (0, rules.GENESIS)


class _Kept:
    """A small map of the most recently stored values, safe across threads."""

    def __init__(self, size: int):
        self.size, self.values, self.lock = size, OrderedDict[tuple, dict](), Lock()

    def get(self, key: tuple) -> dict | None:
        with self.lock:
            return self.values.get(key)

    def put(self, key: tuple, value: dict) -> None:
        with self.lock:
            self.values[key] = value
            while len(self.values) > self.size:
                self.values.popitem(last=False)


# Totals are a few currencies each: 512 projects' worth is a few hundred KB.
_TOTALS = _Kept(512)


def open_needs(session: Session, today: date, limit: int = 2000
               ) -> list[tuple[Input, Project]]:
    """Every project's open needs in the month of *today* (``rules.is_open``)."""
    rows = session.execute(
        sa.select(Input, Project).join(Project, Project.id == Input.project_id)
        .where(open_clause(today))
        .order_by(Input.resource, Input.needed_by.is_(None), Input.needed_by, Input.id)
        .limit(limit)).all()
    return [(need, project) for need, project in rows]


def evidence_receipt(session: Session, project: Project, sha256: str) -> LedgerEntry | None:
    """The first receipt of *project* whose evidence is the stored file
    *sha256*: the evidence page serves a file only for a project that
    recorded it."""
    seq = session.scalar(sa.select(sa.func.min(EvidenceFile.seq)).where(
        EvidenceFile.project_id == project.id, EvidenceFile.sha256 == sha256))
    return None if seq is None else get_entry(session, project, seq)


def inputs_numbered(session: Session, project: Project, numbers) -> dict[int, Input]:
    """The inputs a page of the journal mentions, by number."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    return {need.number: need for need in session.scalars(
        sa.select(Input).where(Input.project_id == project.id, Input.number.in_(wanted)))}


def recent_work(session: Session, project: Project, limit: int = 50) -> list[WorkLog]:
    """The project's logged work, newest entry first."""
    return list(session.scalars(
        sa.select(WorkLog).where(WorkLog.project_id == project.id)
        .order_by(WorkLog.seq.desc()).limit(limit)
        .options(selectinload(WorkLog.user), selectinload(WorkLog.confirmed_by))))


def work_numbered(session: Session, project: Project, seqs) -> dict[int, WorkLog]:
    """The work logs a page of the journal lists, by their entry's seq, with
    the worker and the confirmer loaded."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    return {work.seq: work for work in session.scalars(
        sa.select(WorkLog).where(WorkLog.project_id == project.id, WorkLog.seq.in_(wanted))
        .options(selectinload(WorkLog.user), selectinload(WorkLog.confirmed_by)))}
