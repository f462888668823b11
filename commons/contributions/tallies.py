"""Kept tallies: commits and ledger entries counted per person as they are
recorded (by the receivers in ``services``), and rebuilt from the
repository and the journal when a project is indexed again."""

import json
from collections.abc import Callable, Iterable
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.contributions import identities, ledger_tally, rules
from commons.contributions.models import Delivery, GitDay, GitTotal, LedgerDay, LedgerTotal
from commons.git import path_index, reading
from commons.git.indexing import index_commits
from commons.git.models import Commit, IndexedTip
from commons.git.pushes import lock_project
from commons.ledger import services as ledger
from commons.ledger.models import Input, LedgerEntry, Pledge, WorkLog
from commons.projects.models import Project

CHUNK = 500  # rows per statement


def add_tallies(session: Session, model, project_id: int,
                tallies: dict[tuple, rules.GitTally], key: tuple[str, ...]) -> None:
    """Add git *tallies* to the rows of *model* (totals or days), keyed by
    *key*: one upsert per chunk."""
    if not tallies:
        return
    insert = insert_for(session)(model)
    table = model.__table__
    excluded = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=["project_id", *key],
        set_={
            "commits": table.c.commits + excluded.commits,
            "co_authored": table.c.co_authored + excluded.co_authored,
            "lines_added": table.c.lines_added + excluded.lines_added,
            "lines_removed": table.c.lines_removed + excluded.lines_removed,
            "first_at": sa.case((excluded.first_at < table.c.first_at, excluded.first_at),
                                else_=table.c.first_at),
            "last_at": sa.case((excluded.last_at > table.c.last_at, excluded.last_at),
                               else_=table.c.last_at),
        })
    rows = [{"project_id": project_id, **dict(zip(key, values, strict=True)), "commits": tally.commits,
             "co_authored": tally.co_authored, "lines_added": tally.lines_added,
             "lines_removed": tally.lines_removed, "first_at": tally.first_at,
             "last_at": tally.last_at} for values, tally in tallies.items()]
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, rows[start:start + CHUNK])


def insert_for(session: Session):
    """The dialect's INSERT, which has ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def input_ids(session: Session, project: Project, numbers: Iterable[int] | None = None
              ) -> dict[int, int]:
    """Input number -> row id, for *numbers* (or every input)."""
    query = sa.select(Input.number, Input.id).where(Input.project_id == project.id)
    if numbers is not None:
        query = query.where(Input.number.in_(list(numbers)))
    return dict(session.execute(query).all())


def state_for(session: Session, project: Project, action: str, data: dict
              ) -> ledger_tally.State:
    """The part of the fold's state an entry of *action* reads."""
    state = ledger_tally.State()
    number = data.get("input")
    if number is None or action == "need":
        seq = data.get("corrects") if action == "correct" and data.get("action") == "work" \
            else data.get("work") if action in ("work_confirm", "work_unconfirm") else None
        if seq is not None:
            # Read before the entry is folded into the row: as it was.
            work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                           WorkLog.seq == seq))
            if work is not None:
                state.work[work.seq] = ledger_tally.Worked(
                    work.user_id, work.date, work.category, work.hours,
                    work.confirmed_seq is not None)
        return state
    need = session.scalar(sa.select(Input).where(Input.project_id == project.id,
                                                 Input.number == number))
    if need is None:
        return state
    state.inputs[number] = ledger_tally.Need(need.unit, need.unit_cost, need.currency)
    # A receipt's correction may change what a withdrawn pledge kept.
    wanted = {"withdraw": [data.get("pledge")],
              "correct": [data.get("corrects"), data.get("pledge")]}.get(action)
    pledges = sa.select(Pledge, LedgerEntry.at).join(
        LedgerEntry, sa.and_(LedgerEntry.project_id == Pledge.project_id,
                             LedgerEntry.seq == Pledge.seq)).where(Pledge.input_id == need.id)
    if action == "correct" and data.get("action") == "need":
        wanted = None  # a new unit cost revalues every pledge and delivery of the input
    elif wanted is None:
        return state
    if wanted is not None:
        pledges = pledges.where(Pledge.seq.in_(wanted))
    for pledge, at in session.execute(pledges):
        state.pledges[pledge.seq] = ledger_tally.Pledged(
            pledge.pledger_id, at.astimezone(UTC).date(), number, pledge.quantity,
            pledge.withdrawn, pledge.received)
    deliveries = sa.select(Delivery).where(Delivery.input_id == need.id)
    if wanted is not None:
        deliveries = deliveries.where(Delivery.seq.in_(wanted))
    for delivery in session.scalars(deliveries):
        state.deliveries[delivery.seq] = ledger_tally.Delivered(
            delivery.user_id, delivery.day, number, delivery.quantity)
    return state


def add_ledger_tallies(session: Session, project_id: int,
                       changes: list[ledger_tally.Change]) -> None:
    """Read, add, write: amounts are exact decimals kept as text, which SQL
    cannot add; the journal's lock makes the read-modify-write safe."""
    for model, by_day in ((LedgerTotal, False), (LedgerDay, True)):
        for key, delta in ledger_tally.totals(changes, by_day).items():
            user, *rest = key
            where = dict(zip(("day", "kind", "key") if by_day else ("kind", "key"), rest,
                             strict=True))
            row = session.scalar(sa.select(model).filter_by(project_id=project_id, user_id=user,
                                                            **where))
            if row is None:
                session.add(model(project_id=project_id, user_id=user, amount=delta, **where))
            else:
                row.amount += delta
    session.flush()


def rebuild_from_journal(session: Session, project: Project) -> tuple[int, int]:
    """Replay a project's journal through the fold (the same one appends
    run) and store the ledger tallies and deliveries it gives; returns how
    many entries were read and how many deliveries there are."""
    for model in (LedgerTotal, LedgerDay, Delivery):
        session.execute(sa.delete(model).where(model.project_id == project.id))
    users = dict(session.execute(sa.select(User.username, User.id)).all())
    state = ledger_tally.State()
    changes: list[ledger_tally.Change] = []
    count = 0
    for seq, at, actor, action, payload in session.execute(
            sa.select(LedgerEntry.seq, LedgerEntry.at, LedgerEntry.actor_id, LedgerEntry.action,
                      LedgerEntry.payload)
            .where(LedgerEntry.project_id == project.id).order_by(LedgerEntry.seq)):
        changes += ledger_tally.apply(state, seq, at.date(), actor, action,
                                      json.loads(payload)["data"], users)
        count += 1
    for model, by_day in ((LedgerTotal, False), (LedgerDay, True)):
        rows = [{"project_id": project.id, "user_id": key[0],
                 **dict(zip(("day", "kind", "key") if by_day else ("kind", "key"), key[1:],
                            strict=True)), "amount": amount}
                for key, amount in ledger_tally.totals(changes, by_day).items()]
        for start in range(0, len(rows), CHUNK):
            session.execute(sa.insert(model), rows[start:start + CHUNK])
    inputs = input_ids(session, project)
    rows = [{"project_id": project.id, "seq": seq, "user_id": delivered.user,
             "input_id": inputs[delivered.input], "quantity": delivered.quantity,
             "day": delivered.day} for seq, delivered in sorted(state.deliveries.items())]
    for start in range(0, len(rows), CHUNK):
        session.execute(sa.insert(Delivery), rows[start:start + CHUNK])
    session.flush()
    return count, len(rows)


def reindex(session: Session, project: Project, path: Path,
            progress: Callable[[int], None] | None = None,
            started: Callable[[int], None] | None = None) -> int:
    """Forget a project's git-derived records and index its whole repository
    again (every branch and tag); rebuild its ledger tallies and deliveries
    from the journal.
    *started* hears how many commits there are, *progress* each batch.
    Returns the number of commits indexed. Flushes; the caller commits."""
    lock_project(session, project.id)
    # Appends wait while the deliveries and ledger tallies are rebuilt.
    ledger.hold_journal(session, project)
    for model in (GitDay, GitTotal, Commit, IndexedTip):
        session.execute(sa.delete(model).where(model.project_id == project.id))
    path_index.forget(session, project.id)  # built again by the next reconcile
    heads = sorted({ref.sha for ref in reading.all_refs(path)})
    if started is not None:
        started(int(reading.git(path, "rev-list", "--count", *heads).strip() or 0)
                if heads else 0)
    new = index_commits(session, project.id, path, heads, progress)
    rebuild_from_journal(session, project)
    refresh_mailmap(session, project, path)
    return len(new)


def refresh_mailmap(session: Session, project: Project, path: Path) -> None:
    """Keep the addresses the default branch's .mailmap maps commits to
    (the lines the platform follows only)."""
    identities.refresh_addresses(session, project, path)
