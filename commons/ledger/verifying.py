"""Verify and rebuild: recompute the hash chain, rebuild the balances from
the journal alone and compare them with the stored ones."""

import dataclasses
import gc
import json
import logging
import subprocess
import sys
from collections.abc import Container
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from commons.accounts.models import User
from commons.ledger import funds, rules
from commons.ledger.journal import balance_of, work_balance
from commons.ledger.models import (
    Input,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    Pledge,
    WorkLog,
)
from commons.projects.models import Project

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verification:
    entries: int
    head: tuple[int, str]
    bad_seq: int | None
    problem: str
    since: int = 0  # the checkpoint it started after; 0: the whole journal
    split: bool = False  # the chain checked in a second process, the fold in this one

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def verify(session: Session, project: Project, now: datetime | None = None,
           batch: int = 20000, split: bool | None = None) -> Verification:
    """Recompute the chain from the first entry, then rebuild the balances
    from the journal alone and compare them with the stored ones. If all is
    intact and *now* is given, the head becomes the project's checkpoint.

    A journal longer than one *batch* is checked on two cores when it can
    be (*split*): the chain in a second process, the fold here. By default
    (None) only on SQLite, whose work runs in this process: on PostgreSQL
    the server's process already takes the second core, and the split
    measured slower there (15 to 22 s against 11 to 16 s at 1,000,000
    entries, load 3 to 5). If either finds the chain or a payload wrong,
    the whole journal is walked again in one process, as without the
    split, so what is reported is exactly the first bad entry the single
    walk finds; a stored balance that differs (or a comparison that
    raises) counts only once the chain is known intact, and the first is
    chosen in the single walk's order."""
    if split is None:
        split = session.get_bind().dialect.name == "sqlite"
    # The cyclic collector stays off for the comparisons too, not only for
    # the walk: the walk leaves a million young objects (the folded
    # balances), and the comparisons' allocations would make it traverse
    # them all, up to a full pass, for no cycles (2 s of a 13 s verify on
    # SQLite). They are freed by reference counting when this returns.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify(session, project, now, batch, split)
    finally:
        if collecting:
            gc.enable()


def _verify(session: Session, project: Project, now: datetime | None, batch: int,
            split: bool) -> Verification:
    found = _split_walk(session, project, batch) if split else None
    if found is not None:
        result, mismatch = found
    else:
        result, balances = _single_walk(session, project, batch)
        # The inputs first, then the work logs, as they always were, then
        # the funds and claims.
        mismatch = (_compare_inputs(session, project, balances) or
                    compare_work(session, project.id, balances) or
                    funds.compare(session, project, balances)) if result.intact else None
    if result.intact:
        if mismatch:
            return dataclasses.replace(result, bad_seq=mismatch[0], problem=mismatch[1])
        if now is not None:
            _keep_checkpoint(session, project, result.head, now)
    return result


def _single_walk(session: Session, project: Project, batch: int
                 ) -> tuple[Verification, rules.Balances]:
    """The chain and the fold in one walk: stops at the first bad entry."""
    balances = rules.Balances()
    apply = rules.apply

    def fold(seq: int, action: str, said: dict) -> str | None:
        try:
            apply(balances, seq, action, said["data"])
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return f"its data cannot be applied ({error!r})"
        return None

    return _walk(session, project, (0, rules.GENESIS), fold, batch), balances


def _split_walk(session: Session, project: Project, batch: int
                ) -> tuple[Verification, tuple[int, str] | None] | None:
    """The chain checked in a second process, which also folds the work
    logs (work entries and their corrections) and compares them with the
    stored ones, while this one folds every other entry into the inputs'
    balances and compares those: the two folds touch disjoint balances, so
    each sees exactly what the single fold would. Both read the journal up
    to the same last entry. Returns (the chain's result, the first stored
    balance that differs or None); None when the journal is one batch or
    less, when the database is one a second process cannot open, or when
    either part found the chain or the fold wrong (the caller then walks it
    once more, in one process, to name the first bad entry exactly as the
    single walk does)."""
    engine = session.get_bind()
    if engine.url.database in (None, "", ":memory:"):
        return None
    head_pair, last = _head_and_last(session, project.id)
    found = head_pair or (0, rules.GENESIS)
    last = max(last or 0, found[0])
    if last <= batch:
        return None
    request = {"url": engine.url.render_as_string(hide_password=False),
               "project_id": project.id, "slug": project.slug, "head": head_pair,
               "last": last, "batch": batch}
    # Its own interpreter, started by module name: a fork would share this
    # process's connections, and multiprocessing's spawn would import the
    # calling program's main module again.
    chain = subprocess.Popen([sys.executable, "-m", "commons.ledger.chain_process"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert chain.stdin is not None and chain.stdout is not None
    try:
        chain.stdin.write(json.dumps(request))
        chain.stdin.close()
        balances = _fold_inputs(session, project.id, last, batch)
        inputs = funds_compared = _Compared(None, None)
        if balances is not None:
            # Compared while the chain's process still walks (it takes
            # longer: it reads more and starts an interpreter): a second
            # of the comparisons off the verify's wall. What they find, or
            # an error they raise, counts only if the chain turns out
            # intact, as the single walk compares only then; the funds only
            # if the inputs agree, as there.
            inputs = _compared(session, lambda: _compare_inputs(session, project, balances))
            if inputs == _Compared(None, None):
                funds_compared = _compared(
                    session, lambda: funds.compare(session, project, balances))
        answer = chain.stdout.read()
    except BaseException:
        chain.kill()  # this side failed: its answer would not be read
        raise
    finally:
        chain.stdout.close()
        chain.wait()
    if chain.returncode != 0:
        # Its error is on stderr; the single walk still gives the answer.
        logger.warning("the chain's process failed (exit %s); verifying in one process",
                       chain.returncode)
        return None
    count, bad, _, work_mismatch = json.loads(answer)
    if bad is not None or balances is None:
        return None
    # In the single walk's order: the inputs, the work logs, the funds.
    mismatch = inputs.outcome() or (tuple(work_mismatch) if work_mismatch else None) or \
        funds_compared.outcome()
    return Verification(count, found, None, "", split=True), mismatch


@dataclass(frozen=True)
class _Compared:
    """A comparison's first difference, or the error it raised, kept until
    the chain's answer says whether it counts."""
    mismatch: tuple[int, str] | None
    error: Exception | None

    def outcome(self) -> tuple[int, str] | None:
        if self.error is not None:
            raise self.error
        return self.mismatch


def _compared(session: Session, compare) -> _Compared:
    try:
        return _Compared(compare(), None)
    except Exception as error:
        if isinstance(error, sa.exc.DBAPIError):
            session.rollback()  # so the single walk can still read
        return _Compared(None, error)


# The actions of the entries that may fold into the work logs (a
# correction only if it corrects work: ``folds_into_work``).
WORK_FOLD_ACTIONS = frozenset(("work", "correct", *rules.CONFIRM_ACTIONS))


def folds_into_work(action: str, data) -> bool:
    """Whether an entry's fold touches the work logs alone (a work entry or
    a correction of one) rather than the inputs: how a split verify divides
    the fold between its two processes."""
    return action == "work" or action in rules.CONFIRM_ACTIONS or (
        action == "correct" and isinstance(data, dict) and data.get("action") == "work")


def _fold_inputs(session: Session, project_id: int, last: int, batch: int
                 ) -> rules.Balances | None:
    """The inputs' balances the payloads of entries 1 to *last* give,
    folded in order, work logs left out (the chain's process folds them);
    None at the first entry missing, not a JSON object or not applicable
    (the single walk names it)."""
    balances = rules.Balances()
    apply, loads = rules.apply, orjson.loads
    expected = 1
    collecting = gc.isenabled()
    gc.disable()
    try:
        statement = _range_statement(project_id, LedgerEntry.seq,
                                     LedgerEntry.action, LedgerEntry.payload)
        with closing(_ranges(session, statement, 0, last, batch)) as rows:
            for seq, action, payload in rows:
                if seq != expected:
                    return None
                expected += 1
                if action == "work" or action in rules.CONFIRM_ACTIONS:
                    continue
                try:
                    data = loads(payload)["data"]
                    if action == "correct" and folds_into_work(action, data):
                        continue
                    apply(balances, seq, action, data)
                except Exception:  # whatever it is (orjson's refusals too), the single walk names it
                    return None
    finally:
        if collecting:
            gc.enable()
    return balances if expected == last + 1 else None


def verify_since_checkpoint(session: Session, project: Project, now: datetime,
                            batch: int = 20000) -> Verification:
    """The chain from the project's checkpoint on: first the checkpointed
    entry itself (still there, its hash still the one verified, and still
    sha256 of its prev_hash and payload, so a rewritten past cannot hide
    behind the checkpoint), then every entry after it, and the head. The
    balances are not rebuilt (that needs the whole journal: ``verify``).
    Without a checkpoint, this is ``verify``. If intact, the head becomes
    the checkpoint (verified at *now*)."""
    checkpoint = session.get(LedgerCheckpoint, project.id)
    if checkpoint is None or checkpoint.seq == 0:  # from the start: the whole verify
        return verify(session, project, now, batch)
    seq, digest = checkpoint.seq, checkpoint.hash
    entry = session.execute(
        sa.select(LedgerEntry.payload, LedgerEntry.prev_hash, LedgerEntry.hash)
        .where(LedgerEntry.project_id == project.id, LedgerEntry.seq == seq)).first()
    problem = ""
    if entry is None:
        problem = "the checkpointed entry is missing"
    elif entry.hash != digest:
        problem = (f"its hash is no longer the one verified at the checkpoint "
                   f"({digest[:12]}, now {entry.hash[:12]})")
    elif rules.chain(entry.prev_hash, entry.payload.encode("utf-8")) != digest:
        problem = "its hash does not match its content"
    if problem:
        found = session.get(LedgerHead, project.id)
        head = (found.seq, found.hash) if found else (0, rules.GENESIS)
        return Verification(0, head, seq, problem, since=seq)
    result = _walk(session, project, (seq, digest), None, batch)
    if result.intact:
        _keep_checkpoint(session, project, result.head, now)
    return result


def _walk(session: Session, project: Project, start: tuple[int, str], fold, batch: int
          ) -> Verification:
    """The chain after *start* (seq, hash), as plain tuples: only the
    columns checked, the time already in its canonical text, no ORM
    objects."""
    head_pair, last = _head_and_last(session, project.id)
    found = head_pair or (0, rules.GENESIS)
    count, bad, problem = check_chain(session, project.id, project.slug, start, head_pair,
                                       max(last or 0, found[0]), fold, batch)
    return Verification(count, found, bad, problem, since=start[0])


def _head_and_last(session: Session, project_id: int
                   ) -> tuple[tuple[int, str] | None, int | None]:
    """The head row (None if there is none) and the journal's last seq."""
    # In one statement, so one snapshot: an append landing between two
    # reads would look like a broken head.
    head_seq, head_hash, last = session.execute(sa.select(
        sa.select(LedgerHead.seq).where(LedgerHead.project_id == project_id).scalar_subquery(),
        sa.select(LedgerHead.hash).where(LedgerHead.project_id == project_id)
        .scalar_subquery(),
        sa.select(sa.func.max(LedgerEntry.seq)).where(LedgerEntry.project_id == project_id)
        .scalar_subquery())).one()
    return ((head_seq, head_hash) if head_seq is not None else None), last


def check_chain(session: Session, project_id: int, slug: str, start: tuple[int, str],
                 head_pair: tuple[int, str] | None, last: int, fold, batch: int,
                 fold_actions: Container[str] | None = None) -> tuple[int, int | None, str]:
    """``rules.verify_chain`` over the entries after *start* up to *last*."""
    # A million entries make millions of short-lived objects and no cycles;
    # the cyclic collector would spend a third of the time finding none.
    collecting = gc.isenabled()
    gc.disable()
    try:
        hashed = _hashes_in_database(session)
        statement = _range_statement(
            project_id, LedgerEntry.seq, _timestamp_text(session), User.username,
            LedgerEntry.action, LedgerEntry.payload, LedgerEntry.prev_hash,
            _recomputed_hash() if hashed else LedgerEntry.hash,
            LedgerEntry.input_number).outerjoin(User, User.id == LedgerEntry.actor_id)
        with closing(_ranges(session, statement, start[0], last, batch)) as rows:
            return rules.verify_chain(slug, rows, head_pair, fold, start=start, hashed=hashed,
                                      fold_actions=fold_actions)
    finally:
        if collecting:
            gc.enable()


def _hashes_in_database(session: Session) -> bool:
    """Whether the database recomputes the hashes (``_recomputed_hash``):
    PostgreSQL whose text is UTF-8, so convert_to gives the very bytes
    Python hashes. Its process does it on the other core, while this one
    parses and folds: a tenth of a walk's CPU here."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return session.connection().exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"


def _recomputed_hash():
    """The stored hash where it is sha256(prev_hash || payload), the
    payload's UTF-8 bytes as stored; NULL where it is not (or is NULL)."""
    recomputed = sa.func.encode(sa.func.sha256(sa.func.convert_to(
        LedgerEntry.prev_hash.concat(LedgerEntry.payload), sa.literal_column("'UTF8'"))),
        sa.literal_column("'hex'"))
    return sa.case((recomputed == LedgerEntry.hash, LedgerEntry.hash), else_=sa.null())


def _range_statement(project_id: int, *columns):
    """The *columns* of the entries with seq in (:low, :high], in order."""
    return (sa.select(*columns)
            .where(LedgerEntry.project_id == project_id, LedgerEntry.seq > sa.bindparam("low"),
                   LedgerEntry.seq <= sa.bindparam("high"))
            .order_by(LedgerEntry.seq))


def _ranges(session: Session, statement, after: int, last: int, batch: int):
    """The rows of *statement* for seqs after *after* up to *last*, read in
    ranges of *batch* seqs: each read is an index range scan of the
    (project, seq) key, whatever the planner knows of the table, with no
    cursor held open and no sort of the whole journal. The next range is
    read by a second connection in a thread while this one is checked, so
    the database's work and ours overlap (the driver waits without the
    GIL)."""
    ranges = range(after, last, batch)
    engine = session.get_bind()
    if len(ranges) < 2 or engine.url.database in (None, "", ":memory:"):
        # One range, or a database a second connection would not see.
        for lower in ranges:
            yield from session.execute(statement, {"low": lower, "high": lower + batch})
        return
    with engine.connect() as connection, ThreadPoolExecutor(1) as reader:
        def read(lower: int) -> list:
            return connection.execute(statement, {"low": lower, "high": lower + batch}).all()

        coming = reader.submit(read, ranges[0])
        for lower in ranges[1:]:
            rows = coming.result()
            coming = reader.submit(read, lower)
            yield from rows
        yield from coming.result()


def _timestamp_text(session: Session):
    """The entry's time as ``rules.timestamp`` writes it, formatted by the
    database: parsing a million times into datetimes only to print them
    again is a fifth of a verify. SQLite keeps the time as the text
    "2026-03-01 12:00:00.000005" (UTC); rules.verify_chain reads any other
    form of the same instant as that instant."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", LedgerEntry.at),
                               sa.literal_column("'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"))
    return sa.func.replace(sa.cast(LedgerEntry.at, sa.Text), " ", "T").concat("Z")


def _keep_checkpoint(session: Session, project: Project, head: tuple[int, str],
                     now: datetime) -> None:
    checkpoint = session.get(LedgerCheckpoint, project.id)
    if checkpoint is None:
        checkpoint = LedgerCheckpoint(project_id=project.id)
        session.add(checkpoint)
    checkpoint.seq, checkpoint.hash, checkpoint.verified_at = head[0], head[1], now
    session.flush()


def rebuild_balances(session: Session, project: Project) -> rules.Balances:
    """The balances the journal alone gives."""
    rows = session.execute(sa.select(LedgerEntry.seq, LedgerEntry.action, LedgerEntry.payload)
                           .where(LedgerEntry.project_id == project.id)
                           .order_by(LedgerEntry.seq).execution_options(yield_per=20000))
    return rules.rebuild((seq, action, json.loads(payload)["data"])
                         for seq, action, payload in rows)


def stored_balances(session: Session, project: Project) -> rules.Balances:
    """The balances kept in the tables, in the same shape."""
    balances = rules.Balances()
    for need in session.scalars(sa.select(Input).where(Input.project_id == project.id)
                                .options(selectinload(Input.pledges)
                                         .selectinload(Pledge.pledger))):
        balances.inputs[need.number] = balance_of(need)
    confirmer = aliased(User)
    for work, username, confirmed_by in session.execute(
            sa.select(WorkLog, User.username, confirmer.username)
            .outerjoin(User, User.id == WorkLog.user_id)
            .outerjoin(confirmer, confirmer.id == WorkLog.confirmed_by_id)
            .where(WorkLog.project_id == project.id)):
        balances.work[work.seq] = dataclasses.replace(work_balance(work), worker=username or "",
                                                      confirmed_by=confirmed_by)
    funds.stored(session, project, balances)
    return balances


def _compare_inputs(session: Session, project: Project,
                    rebuilt: rules.Balances) -> tuple[int, str] | None:
    """The first stored input balance that is not what the journal gives:
    every column pages read, the derived ones (status, pledged, still
    needed, the needs board's resource) and who pledged included. Plain
    rows, not ORM objects: there may be hundreds of thousands of pledges."""
    # Core rows from the session's connection: no ORM loading per row.
    # Each stored pledge is compared with the folded one as it is read (no
    # tuple or dict of its own): its input is unlike the journal's if any
    # pledge differs or is missing, or if the journal has pledges not stored.
    connection = session.connection()
    inputs = rebuilt.inputs
    unlike: set[int] = set()
    alike: dict[int, int] = {}  # input number -> stored pledges equal to the folded ones
    for number, seq, pledger, quantity, received, withdrawn, note in connection.execute(
            sa.select(Input.number, Pledge.seq, User.username, _text(Pledge.quantity),
                      _text(Pledge.received), Pledge.withdrawn, Pledge.note)
            .join(Input, Input.id == Pledge.input_id)
            .outerjoin(User, User.id == Pledge.pledger_id)
            .where(Pledge.project_id == project.id)):
        want = inputs.get(number)
        pledge = want.pledges.get(seq) if want is not None else None
        if pledge is None or not (pledge.pledger == pledger and
                                  pledge.quantity == Decimal(quantity) and
                                  pledge.received == Decimal(received) and
                                  pledge.withdrawn == withdrawn and pledge.note == note):
            unlike.add(number)
        else:
            alike[number] = alike.get(number, 0) + 1
    stored = {row[0]: row for row in connection.execute(
        sa.select(Input.number, Input.seq, Input.title, Input.kind, Input.resource, Input.unit,
                  Input.needed, Input.unit_cost, Input.currency, Input.needed_by,
                  Input.description, Input.approved, Input.closed, Input.received,
                  Input.consumed, Input.pledged, Input.still_needed, Input.status,
                  Input.recurs, Input.starts, Input.uncovered_from)
        .where(Input.project_id == project.id))}
    for number in sorted(set(inputs) | set(stored)):
        row, want = stored.get(number), inputs.get(number)
        if row is None or want is None or _row_view(row) != _balance_view(want) or \
                number in unlike or alike.get(number, 0) != len(want.pledges):
            seq = want.seq if want is not None else row.seq
            return seq, (f"the stored balance of input #{number} differs from the one the "
                         "journal gives")
    return None


def compare_work(session: Session, project_id: int,
                  rebuilt: rules.Balances) -> tuple[int, str] | None:
    """The first stored work log that is not what the journal gives: the
    worker, hours, day, kind, description, rating and who confirmed it
    (which entry, when). The stored logs are read in seq order and merged
    with the folded ones as they come: no dict of 170,000 stored rows, no
    union of the two sides sorted."""
    confirmer = aliased(User)
    with session.connection().execute(
        sa.select(WorkLog.seq, User.username, _text(WorkLog.hours), WorkLog.date,
                  WorkLog.category, WorkLog.description, WorkLog.onerous, confirmer.username,
                  WorkLog.confirmed_seq, WorkLog.confirmed_at)
        .outerjoin(User, User.id == WorkLog.user_id)
        .outerjoin(confirmer, confirmer.id == WorkLog.confirmed_by_id)
        .where(WorkLog.project_id == project_id)
        .order_by(WorkLog.seq)) as result:  # closed on the first difference too
        return _first_work_difference(result, rebuilt)


def _first_work_difference(result, rebuilt: rules.Balances) -> tuple[int, str] | None:
    folded = rebuilt.work
    # The fold adds work logs in seq order; sorted() keeps this true of
    # any Balances and costs a pass over an already sorted list.
    wanted = iter(sorted(folded))
    next_wanted = next(wanted, None)
    for (seq, worker, hours, day, category, description, onerous, confirmed_by,
         confirmed_seq, confirmed_at) in result:
        if next_wanted is None or next_wanted != seq:
            # The smaller of the two is on one side only (the journal's
            # work log not stored, or a stored one the journal lacks).
            missing = seq if next_wanted is None else min(seq, next_wanted)
            return missing, f"the stored work log of entry #{missing} differs from the journal"
        want = folded[seq]
        if (worker, Decimal(hours), day.isoformat(), category, description) != \
                (want.worker, want.hours, want.date, want.category, want.description):
            return seq, f"the stored work log of entry #{seq} differs from the journal"
        if (onerous, confirmed_by, confirmed_seq, _stamp(confirmed_at)) != \
                (want.onerous, want.confirmed_by, want.confirmed_seq, want.confirmed_at):
            return seq, (f"the stored rating or confirmation of work entry #{seq} differs "
                         "from the journal")
        next_wanted = next(wanted, None)
    if next_wanted is not None:
        return next_wanted, f"the stored work log of entry #{next_wanted} differs from the journal"
    return None


def _text(column):
    """An exact decimal column as its stored text, for the caller's own
    Decimal(): the column type's conversion is two Python calls more per
    value, and a verify reads half a million of them."""
    return sa.type_coerce(column, sa.String())


def _stamp(at: datetime | None) -> str | None:
    """A stored time as the journal writes it (SQLite's come back naive: UTC)."""
    if at is None:
        return None
    return rules.timestamp(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def _balance_view(need: rules.InputBalance) -> tuple:
    pledged, still_needed, status = need.derived()
    return (need.title, need.kind, rules.resource_key(need.kind, need.title), need.unit,
            need.needed, need.unit_cost, need.currency, need.needed_by, need.description,
            need.approved, need.closed, need.received, need.consumed, pledged,
            still_needed, status, need.recurs, need.starts,
            need.uncovered_from)


def _row_view(row) -> tuple:
    (_, _, title, kind, resource, unit, needed, unit_cost, currency, needed_by, description,
     approved, closed, received, consumed, pledged, still_needed, status, recurs, starts,
     uncovered_from) = row
    return (title, kind, resource, unit, needed, unit_cost, currency,
            needed_by.isoformat() if needed_by else None, description, approved, closed,
            received, consumed, pledged, still_needed, status, recurs,
            rules.month_text(starts) if starts else None,
            rules.month_text(uncovered_from) if uncovered_from else None)
