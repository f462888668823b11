"""Confirmed work (issue 20): another member of the project confirms hours
someone logged, and may withdraw that confirmation while the month is
open. Each is a journal entry (``work_confirm``, ``work_unconfirm``)
appended under the head and folded into the work log by ``rules.apply``,
so ``ledger verify`` re-derives who confirmed what."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import confirm_rules, rules
from commons.ledger.journal import append_entry, hold_journal, store_work, work_balance
from commons.ledger.models import LedgerEntry, WorkLog
from commons.problems import Conflict, Forbidden, NotFound
from commons.projects.models import Project
from commons.recognition import periods


def get_work(session: Session, project: Project, seq: int) -> WorkLog:
    """The work logged by entry *seq* of the project, or NotFound."""
    work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                   WorkLog.seq == seq)
                          .execution_options(populate_existing=True))
    if work is None:
        raise NotFound(f"{project.name}'s journal has no work entry #{seq}. Open the "
                       "project's ledger for the entries of logged work.")
    return work


def confirm_work(session: Session, project: Project, actor: User, seq: int, *,
                 now: datetime) -> WorkLog:
    """*actor* confirms the hours of work entry *seq*: another member than
    the worker, once, while the work's month is open."""
    held = hold_journal(session, project)
    work = get_work(session, project, seq)
    _refuse(confirm_rules.confirm_refusal(_state(session, project, work), actor.id,
                                          project.is_member(actor)))
    data = {"work": seq, "worker": work.user.username if work.user else None,
            "confirmer": actor.username, "at": rules.timestamp(now)}
    _fold(session, project, work, append_entry(session, project, held, actor, "work_confirm",
                                               data, now), data, actor)
    return work


def withdraw_confirmation(session: Session, project: Project, actor: User, seq: int, *,
                          now: datetime) -> WorkLog:
    """*actor* withdraws their confirmation of work entry *seq*, while the
    work's month is open."""
    held = hold_journal(session, project)
    work = get_work(session, project, seq)
    if not project.is_member(actor) and work.confirmed_by_id != actor.id:
        raise Forbidden(f"Members of {project.name} confirm hours. Join the project first.")
    _refuse(confirm_rules.withdraw_refusal(_state(session, project, work), actor.id))
    data = {"work": seq, "worker": work.user.username if work.user else None,
            "confirmer": actor.username, "confirmation": work.confirmed_seq}
    _fold(session, project, work, append_entry(session, project, held, actor,
                                               "work_unconfirm", data, now), data, actor)
    return work


def _state(session: Session, project: Project, work: WorkLog) -> confirm_rules.WorkState:
    period = confirm_rules.period_of(work.date)
    return confirm_rules.WorkState(work.seq, work.user_id, work.confirmed_by_id, period,
                                   periods.is_closed(session, project.id, period))


def _refuse(refusal: tuple[int, str] | None) -> None:
    if refusal is not None:
        status, message = refusal
        raise Forbidden(message) if status == 403 else Conflict(message)


def _fold(session: Session, project: Project, work: WorkLog, entry: LedgerEntry,
          data: dict, actor: User) -> None:
    """Apply the entry to the work log's row through ``rules.apply``."""
    balances = rules.Balances()
    balances.work[work.seq] = work_balance(work)
    rules.apply(balances, entry.seq, entry.action, data)
    store_work(work, balances.work[work.seq], actor)
    session.flush()
