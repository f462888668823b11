"""The journal: hold a project's head, append one entry chained to it,
and fold the entry into the stored balances with the same ``rules.apply``
that rebuilds them from the journal alone."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import funds, rules
from commons.ledger.models import Input, LedgerEntry, LedgerHead, Pledge, WorkLog
from commons.projects.models import Project
from commons.signals import entry_appended


def head(session: Session, project: Project) -> tuple[int, str]:
    """The journal's last (seq, hash); (0, GENESIS) before the first entry."""
    row = session.get(LedgerHead, project.id)
    return (row.seq, row.hash) if row else (0, rules.GENESIS)


def hold_journal(session: Session, project: Project) -> LedgerHead:
    """Hold the project's journal head for this transaction. Appends queue
    here, so each one chains to the entry before it: PostgreSQL locks the
    row, SQLite the database."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LedgerHead).values(project_id=project.id, seq=0, hash=rules.GENESIS,
                                              inputs=0)
                    .on_conflict_do_nothing(index_elements=["project_id"]))
    session.execute(sa.update(LedgerHead).where(LedgerHead.project_id == project.id)
                    .values(seq=LedgerHead.seq).execution_options(synchronize_session=False))
    row = session.scalar(sa.select(LedgerHead).where(LedgerHead.project_id == project.id)
                         .execution_options(populate_existing=True))
    assert row is not None
    return row


def append_entry(session: Session, project: Project, held: LedgerHead, actor: User | None,
                 action: str, data: dict, now: datetime,
                 input_number: int | None = None) -> LedgerEntry:
    """Append one entry chained to the *held* head and move the head to it;
    ``entry_appended`` fires in this transaction."""
    seq = held.seq + 1
    document = rules.document(project.slug, seq, now, actor.username if actor else None,
                              action, data)
    payload = rules.canonical(document)
    entry = LedgerEntry(project_id=project.id, seq=seq, at=now,
                        actor_id=actor.id if actor else None, action=action,
                        input_number=input_number, payload=payload.decode("utf-8"),
                        prev_hash=held.hash, hash=rules.chain(held.hash, payload))
    session.add(entry)
    held.seq, held.hash = seq, entry.hash
    entry_appended.send(project, session=session, entry=entry, data=data)
    return entry


def balance_of(need: Input) -> rules.InputBalance:
    """*need*'s stored balance in the shape ``rules.apply`` folds."""
    return rules.InputBalance(
        number=need.number, seq=need.seq, title=need.title, kind=need.kind, unit=need.unit,
        needed=need.needed, unit_cost=need.unit_cost, currency=need.currency,
        needed_by=need.needed_by.isoformat() if need.needed_by else None,
        description=need.description, approved=need.approved, closed=need.closed,
        received=need.received, consumed=need.consumed, recurs=need.recurs,
        starts=rules.month_text(need.starts) if need.starts else None,
        pledges={p.seq: rules.PledgeBalance(seq=p.seq, input=need.number,
                                            pledger=p.pledger.username if p.pledger else "",
                                            quantity=p.quantity, received=p.received,
                                            withdrawn=p.withdrawn, note=p.note)
                 for p in need.pledges})


def work_balance(work: WorkLog) -> rules.WorkBalance:
    """*work*'s stored row in the shape ``rules.apply`` folds (the worker's
    and confirmer's names left out: no fold of an existing entry reads them)."""
    return rules.WorkBalance(work.seq, "", work.date.isoformat(), work.hours, work.category,
                             work.description, work.onerous, None, work.confirmed_seq,
                             rules.timestamp(work.confirmed_at) if work.confirmed_at else None)


def store_work(work: WorkLog, folded: rules.WorkBalance,
               confirmer: User | None = None) -> None:
    """Write a folded work balance's hours and confirmation to its row;
    *confirmer* is the user a ``work_confirm`` just named."""
    work.hours = folded.hours
    if folded.confirmed_seq is None:
        work.confirmed_by_id = work.confirmed_at = work.confirmed_seq = None
    elif folded.confirmed_seq != work.confirmed_seq:
        assert confirmer is not None and folded.confirmed_at is not None
        work.confirmed_by, work.confirmed_seq = confirmer, folded.confirmed_seq
        work.confirmed_at = datetime.fromisoformat(folded.confirmed_at)


def fold_entry(session: Session, project: Project, entry: LedgerEntry, data: dict,
               need: Input | None, now: datetime, *, pledger: User | None = None,
               worker: User | None = None) -> Input | None:
    """Apply *entry* to the stored balances, through ``rules.apply``."""
    balances = rules.Balances()
    if need is not None:
        balances.inputs[need.number] = balance_of(need)
    work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                   WorkLog.seq == data["corrects"])) \
        if entry.action == "correct" and data["action"] == "work" else None
    if work is not None:
        balances.work[work.seq] = work_balance(work)
    if need is not None and need.unit in rules.currencies():  # money in: the funds
        funds.load_fund(session, project, balances, need.unit)
    rules.apply(balances, entry.seq, entry.action, data)
    funds.store_funds(session, project, balances)
    if entry.action == "work":
        folded = balances.work[entry.seq]
        session.add(WorkLog(project_id=project.id, seq=entry.seq, user=worker,
                            date=date.fromisoformat(folded.date), hours=folded.hours,
                            category=folded.category, description=folded.description,
                            onerous=folded.onerous))
        return None
    if work is not None:
        store_work(work, balances.work[work.seq])
        return None
    folded = balances.inputs[data["input"]]
    if need is None:
        need = Input(project_id=project.id, number=folded.number, seq=folded.seq,
                     title=folded.title, kind=folded.kind,
                     resource=rules.resource_key(folded.kind, folded.title), unit=folded.unit,
                     unit_cost=folded.unit_cost, currency=folded.currency,
                     needed_by=date.fromisoformat(folded.needed_by) if folded.needed_by else None,
                     description=folded.description, recurs=folded.recurs,
                     starts=rules.parse_month(folded.starts) if folded.starts else None)
        session.add(need)
    need.needed, need.unit_cost = folded.needed, folded.unit_cost
    need.approved, need.closed = folded.approved, folded.closed
    need.received, need.consumed, need.pledged = folded.received, folded.consumed, folded.pledged
    need.status, need.still_needed = folded.status, folded.still_needed
    uncovered = folded.uncovered_from
    need.uncovered_from = rules.parse_month(uncovered) if uncovered else None
    need.updated_at = now
    stored = {p.seq: p for p in need.pledges}
    for seq, pledge in folded.pledges.items():
        row = stored.get(seq)
        if row is None:
            row = Pledge(project_id=project.id, seq=seq, pledger=pledger, note=pledge.note)
            need.pledges.append(row)
        row.quantity, row.received, row.withdrawn = pledge.quantity, pledge.received, \
            pledge.withdrawn
    session.flush()
    return need
