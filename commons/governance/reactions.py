"""How governance follows the other domains: pushes and decisions that move
a proposed branch revise its merge proposal, and inputs that need a decision
get their ``input`` proposal, kept in step with the ledger.

The ledger's signals carry no session: their receivers run in the request's
(``db.session``), which is the one the ledger writes with."""

from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from commons import clock, signals
from commons.accounts.models import User
from commons.extensions import db
from commons.governance import claims, rules, services
from commons.projects.models import Project


def connect_reactions() -> None:
    """Connect governance's receivers (idempotent: blinker keeps one
    connection per receiver, however often the app is created)."""
    signals.refs_moved.connect(revise_merge_proposals, weak=False)
    signals.input_pending.connect(propose_pending_input, weak=False)
    signals.input_supplied.connect(give_suppliers_standing, weak=False)
    signals.input_changed.connect(revise_changed_input, weak=False)
    signals.input_closed.connect(withdraw_closed_input_proposal, weak=False)
    signals.claim_pending.connect(propose_pending_claim, weak=False)
    signals.claim_withdrawn.connect(withdraw_claim_proposal, weak=False)
    signals.proposal_decided.connect(refuse_claim_not_passed, weak=False)
    signals.proposal_opened.connect(give_notice, weak=False)
    signals.member_joined.connect(give_new_member_notice, weak=False)


def _settings() -> services.Settings:
    return services.Settings.from_config(current_app.config)


def give_notice(project: Project, *, session: Session, proposal, now: datetime) -> None:
    """Everyone with standing on a new proposal is told, or recorded as not
    reachable (governance.notices): silence counts only from those told."""
    services.record_notices(session, proposal, _settings(), now)


def give_new_member_notice(project: Project, *, session: Session, user: User,
                           now: datetime) -> None:
    """A new member has standing on the project's open proposals: each
    records their notice (the proposals are in their inbox from now on)."""
    for proposal in services.list_proposals(session, project, status=rules.OPEN, limit=1000):
        services.record_notices(session, proposal, _settings(), now)


def revise_merge_proposals(project: Project, *, session: Session, moved: dict[str, str],
                           pusher: User | None, path: Path, now: datetime) -> None:
    """Moving a proposed branch revises its merge proposal (consent is tied
    to content), naming who pushed; deleting it withdraws the proposal."""
    services.revise_merges_for_push(session, project, moved, _settings(), now, pusher=pusher)


def propose_pending_input(project: Project, need, actor, now: datetime) -> None:
    """An input above the approval threshold asks the project: it opens an
    ``input`` proposal in the same transaction as the entry."""
    services.propose_input(db.session, project, need, actor, _settings(), now)


def give_suppliers_standing(project: Project, need) -> None:
    """Pledgers and providers have standing on the input's proposal."""
    services.refresh_input_parties(db.session, project, need, _settings(), clock.now())


def revise_changed_input(project: Project, need, actor, now: datetime) -> None:
    """A corrected need revises its open proposal."""
    services.input_changed(db.session, project, need, actor, _settings(), now)


def withdraw_closed_input_proposal(project: Project, need, actor, now: datetime) -> None:
    """A closed input needs no decision any more."""
    services.withdraw_input_proposal(db.session, project, need, now)


def withdraw_claim_proposal(project: Project, claim, actor, now: datetime) -> None:
    """A claim its claimant withdrew needs no decision any more."""
    claims.withdraw_claim_proposal(db.session, project, claim, actor, now)


def refuse_claim_not_passed(project: Project, *, session: Session, proposal,
                            now: datetime) -> None:
    """A `claim` proposal that did not pass refuses its claim, in the
    decider's transaction."""
    claims.refuse_claim_not_passed(session, proposal, now)


def propose_pending_claim(project: Project, claim, actor, now: datetime) -> None:
    """An expense claim above the approval threshold asks the project: its
    ``claim`` proposal opens in the same transaction as the entry."""
    services.propose_claim(db.session, project, claim, actor, _settings(), now)
