"""Allocation: what a contested pool round gives each requesting project,
decided by the members of every requesting project (``pools.settling``
opens it at the round's last close). Passing it writes the allocation as
pledges in each project's journal (``pools.settling.allocate``)."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.jobs import enqueue_after_commit
from commons.pools.allocating import ALLOCATE
from commons.pools.journal import hold_pool_journal
from commons.pools.models import Pool, PoolRound
from commons.problems import Forbidden
from commons.projects.models import Project


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    raise Forbidden("An allocation proposal is opened by a pool round that ends contested, "
                    "not by hand.")


def may_open(project: Project, author: User, details: Details) -> None:
    raise Forbidden("An allocation proposal is opened by a pool round that ends contested, "
                    "not by hand.")


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    round_ = session.get(PoolRound, proposal.details["round"])
    pool = session.get(Pool, proposal.details["pool"])
    if round_ is None or pool is None:
        raise EffectError("The pool round this proposal allocates is gone.")
    hold_pool_journal(session, pool)
    session.refresh(round_)
    if round_.status != PoolRound.SETTLING or round_.proposal_id != proposal.id:
        raise EffectError(f"Round {round_.number} of the pool “{pool.title}” is "
                          f"{round_.status}; there is nothing left to allocate.")
    # The pledges are written once this decision commits (pools.allocating).
    enqueue_after_commit(session, ALLOCATE, round_id=round_.id)
    return (f"Round {round_.number} of the pool “{pool.title}” is allocated as listed: the "
            "pledges are being written in each requesting project's ledger.")


KIND = Kind("allocation", read_details, carry_out, may_open=may_open)
