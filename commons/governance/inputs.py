"""The proposal that follows an input through the ledger: opened when a
pending input waits for approval, revised when its amount is corrected,
its parties kept to who pledged or provided, withdrawn when it closes."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.guards import withdraw_for
from commons.governance.kinds import input as input_kind
from commons.governance.kinds.input import open_input_proposal
from commons.governance.models import Proposal
from commons.governance.notices import record_notices
from commons.governance.opening import open_proposal
from commons.governance.settings import Settings
from commons.governance.stances import revise
from commons.ledger import rules as ledger_rules
from commons.ledger.models import Input
from commons.projects.models import Project


def propose_input(session: Session, project: Project, need: Input, author: User,
                  settings: Settings, now: datetime) -> Proposal | None:
    """The `input` proposal a pending input asks for (none if one is open)."""
    if open_input_proposal(session, project, need.number) is not None:
        return None
    return open_proposal(session, project, author, "input", _input_title(need),
                         _input_body(project, need), {"input": need.number}, settings, now)


def _input_title(need: Input) -> str:
    return f"Approve input: {need.title}"[:200]


def _input_body(project: Project, need: Input) -> str:
    unit_cost = (f" at {ledger_rules.shown(need.unit_cost, need.currency)} {need.currency} "
                 "each" if need.unit_cost is not None and need.currency else "")
    return (f"Approve input #{need.number}: {ledger_rules.shown(need.needed, need.unit)} "
            f"{need.unit} of {need.title}{unit_cost}. Its estimated cost is above the "
            f"project's approval threshold ({project.approval_amount} "
            f"{project.approval_currency}) or priced in another currency, so the project "
            "decides.")


def input_changed(session: Session, project: Project, need: Input, actor: User,
                  settings: Settings, now: datetime) -> None:
    """A need's amount was corrected. Consent is given to content: its open
    proposal is revised (the window restarts, stances go stale), withdrawn if
    the need no longer waits for approval; a need that now waits gets one."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is None:
        if not need.approved and not need.closed:
            propose_input(session, project, need, actor, settings, now)
        return
    if need.approved:
        withdraw_for(session, proposal, f"Input #{need.number} was corrected below the "
                     "approval threshold, so it is approved without a decision.", now)
        return
    revise(session, proposal, project, None, settings,
           f"input #{need.number} was corrected", now,
           title=_input_title(need), body=_input_body(project, need))


def refresh_input_parties(session: Session, project: Project, need: Input, settings: Settings,
                          now: datetime) -> None:
    """Whoever pledged (and has not withdrawn) or provided an input has
    standing on the open proposal to approve it; nobody else by that right.
    Those who gain standing are given notice."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is None:
        return
    wanted = {party.user_id: party for party in input_kind.input_parties(session, need)
              if party.user_id != proposal.author_id}
    for party in list(proposal.affected):
        if party.user_id not in wanted:
            proposal.affected.remove(party)
    session.flush()  # old parties out before new ones in (unique per email)
    present = {party.user_id for party in proposal.affected}
    for user_id, party in wanted.items():
        if user_id not in present:
            proposal.affected.append(party)
    session.flush()
    record_notices(session, proposal, settings, now)


def withdraw_input_proposal(session: Session, project: Project, need: Input,
                            now: datetime) -> None:
    """A closed input needs no approval: its open proposal is withdrawn."""
    proposal = open_input_proposal(session, project, need.number)
    if proposal is not None:
        withdraw_for(session, proposal, f"Input #{need.number} was closed, so there is "
                     "nothing left to approve.", now)
