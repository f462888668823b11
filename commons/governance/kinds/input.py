"""Input: a need whose estimated cost is above the project's approval
threshold (or priced in another currency) waits for the project to decide.
Its pledgers and providers are parties; passing it approves the input in
the ledger. The proposals that follow an input's life are in
``governance.inputs``."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.models import AffectedParty, Proposal
from commons.governance.settings import Settings
from commons.ledger import services as ledger
from commons.ledger.models import Input, LedgerEntry
from commons.problems import Conflict, Invalid, NotFound
from commons.projects.models import Project


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    try:
        number = int(str(details.get("input", "")).lstrip("#"))
    except ValueError:
        raise Invalid("Name the input to approve by its number.", field="input") from None
    if not 0 < number <= ledger.MAX_NUMBER:
        raise Invalid(f"{project.name} has no input #{number}.", field="input")
    need = ledger.get_input(session, project, number)
    if need.closed:
        raise Invalid(f"Input #{number} is closed.", field="input")
    if need.approved:
        raise Invalid(f"Input #{number} is approved already.", field="input")
    open_already = open_input_proposal(session, project, number)
    if open_already is not None:
        raise Conflict(f"Proposal #{open_already.number} already asks to approve input "
                       f"#{number}.", field="input")
    return Opened({"input": number}, input_parties(session, need))


def open_input_proposal(session: Session, project: Project, number: int) -> Proposal | None:
    """The undecided proposal to approve input *number*, if there is one."""
    return session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "input",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["input"].as_integer() == number))


def input_parties(session: Session, need: Input) -> list[AffectedParty]:
    """Its pledgers and providers: they give what the decision spends."""
    parties: dict[int, AffectedParty] = {}
    for pledge in need.pledges:
        if pledge.pledger is not None and not pledge.withdrawn:
            parties[pledge.pledger.id] = _party(pledge.pledger, "pledged this input")
    providers = {ledger.entry_data(entry).get("provider_user")
                 for entry in session.scalars(sa.select(LedgerEntry).where(
                     LedgerEntry.project_id == need.project_id,
                     LedgerEntry.input_number == need.number, LedgerEntry.action == "receipt"))}
    for user in session.scalars(sa.select(User).where(User.username.in_(providers - {None}))):
        parties.setdefault(user.id, _party(user, "provided this input"))
    return list(parties.values())


def _party(user: User, reason: str) -> AffectedParty:
    return AffectedParty(user_id=user.id, name=user.username,
                         email=(user.primary_email or f"{user.username}@users.commons.invalid"),
                         reason=reason, weight=1)


def hold_journal(session: Session, project: Project) -> None:
    """The ledger's head before the proposal's row, in the order every
    ledger change that touches a proposal takes them: no deadlock."""
    ledger.hold_journal(session, project)


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    number = proposal.details["input"]
    try:
        need = ledger.approve_input(session, project, number, proposal.number, now)
    except (Conflict, NotFound) as error:
        raise EffectError(error.message) from None
    return f"Input #{number} ({need.title}) is approved."


KIND = Kind("input", read_details, carry_out, before_claim=hold_journal)
