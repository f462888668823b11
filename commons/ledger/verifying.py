"""Verify and rebuild: recompute the hash chain, rebuild the balances from
the journal alone and compare them with the stored ones."""

import gc
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.journal import balance_of
from commons.ledger.models import Input, LedgerEntry, LedgerHead, Pledge, WorkLog
from commons.projects.models import Project


@dataclass(frozen=True)
class Verification:
    entries: int
    head: tuple[int, str]
    bad_seq: int | None
    problem: str

    @property
    def intact(self) -> bool:
        return self.bad_seq is None


def verify(session: Session, project: Project, batch: int = 20000) -> Verification:
    """Recompute the chain from the first entry, then rebuild the balances
    from the journal alone and compare them with the stored ones."""
    stored_head = session.get(LedgerHead, project.id)
    head_pair = (stored_head.seq, stored_head.hash) if stored_head else None
    found = head_pair or (0, rules.GENESIS)
    balances = rules.Balances()

    def fold(entry: rules.StoredEntry, said: dict) -> str | None:
        try:
            rules.apply(balances, entry.seq, entry.action, said["data"])
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return f"its data cannot be applied ({error!r})"
        return None

    # A million entries make millions of short-lived objects and no cycles;
    # the cyclic collector would spend a third of the time finding none.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows = session.execute(
            sa.select(LedgerEntry.seq, LedgerEntry.at, User.username, LedgerEntry.action,
                      LedgerEntry.payload, LedgerEntry.prev_hash, LedgerEntry.hash,
                      LedgerEntry.input_number)
            .outerjoin(User, User.id == LedgerEntry.actor_id)
            .where(LedgerEntry.project_id == project.id).order_by(LedgerEntry.seq)
            .execution_options(yield_per=batch))
        count, bad, problem = rules.verify_chain(
            project.slug, (rules.StoredEntry(*row) for row in rows), head_pair, fold)
        rows.close()
        if bad is not None:
            return Verification(count, found, bad, problem)
        if mismatch := _compare_balances(session, project, balances):
            return Verification(count, found, mismatch[0], mismatch[1])
        return Verification(count, found, None, "")
    finally:
        if collecting:
            gc.enable()


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
    for work, username in session.execute(
            sa.select(WorkLog, User.username).outerjoin(User, User.id == WorkLog.user_id)
            .where(WorkLog.project_id == project.id)):
        balances.work[work.seq] = rules.WorkBalance(work.seq, username or "",
                                                    work.date.isoformat(), work.hours,
                                                    work.category, work.description)
    return balances


def _compare_balances(session: Session, project: Project,
                      rebuilt: rules.Balances) -> tuple[int, str] | None:
    """The first stored balance that is not what the journal gives: every
    column pages read, the derived ones (status, pledged, still needed, the
    needs board's resource) and who pledged or worked included. Plain rows,
    not ORM objects: there may be hundreds of thousands of pledges."""
    pledges: dict[int, list] = {}
    for row in session.execute(
            sa.select(Input.number, Pledge.seq, User.username, Pledge.quantity,
                      Pledge.received, Pledge.withdrawn, Pledge.note)
            .join(Input, Input.id == Pledge.input_id)
            .outerjoin(User, User.id == Pledge.pledger_id)
            .where(Pledge.project_id == project.id)):
        pledges.setdefault(row[0], []).append(tuple(row[1:]))
    stored = {row[0]: row for row in session.execute(
        sa.select(Input.number, Input.seq, Input.title, Input.kind, Input.resource, Input.unit,
                  Input.needed, Input.unit_cost, Input.currency, Input.needed_by,
                  Input.description, Input.approved, Input.closed, Input.received,
                  Input.consumed, Input.pledged, Input.still_needed, Input.status)
        .where(Input.project_id == project.id))}
    for number in sorted(set(rebuilt.inputs) | set(stored)):
        row, want = stored.get(number), rebuilt.inputs.get(number)
        if row is None or want is None or \
                _row_view(row, pledges.get(number, [])) != _balance_view(want):
            seq = want.seq if want is not None else row.seq
            return seq, (f"the stored balance of input #{number} differs from the one the "
                         "journal gives")
    work = {row[0]: row[1:] for row in session.execute(
        sa.select(WorkLog.seq, User.username, WorkLog.hours, WorkLog.date, WorkLog.category,
                  WorkLog.description).outerjoin(User, User.id == WorkLog.user_id)
        .where(WorkLog.project_id == project.id))}
    for seq in sorted(set(rebuilt.work) | set(work)):
        have, want = work.get(seq), rebuilt.work.get(seq)
        if have is None or want is None or \
                (have[0], have[1], have[2].isoformat(), have[3], have[4]) != \
                (want.worker, want.hours, want.date, want.category, want.description):
            return seq, f"the stored work log of entry #{seq} differs from the journal"
    return None


def _balance_view(need: rules.InputBalance) -> tuple:
    return (need.title, need.kind, rules.resource_key(need.kind, need.title), need.unit,
            need.needed, need.unit_cost, need.currency, need.needed_by, need.description,
            need.approved, need.closed, need.received, need.consumed, need.pledged,
            need.still_needed, need.status,
            sorted((p.seq, p.pledger, p.quantity, p.received, p.withdrawn, p.note)
                   for p in need.pledges.values()))


def _row_view(row, pledges: list) -> tuple:
    (_, _, title, kind, resource, unit, needed, unit_cost, currency, needed_by, description,
     approved, closed, received, consumed, pledged, still_needed, status) = row
    return (title, kind, resource, unit, needed, unit_cost, currency,
            needed_by.isoformat() if needed_by else None, description, approved, closed,
            received, consumed, pledged, still_needed, status, sorted(pledges))
