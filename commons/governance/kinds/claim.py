"""Claim: an expense claim above the project's approval threshold (or in
another currency) waits for the project to decide. The input's pledgers
and providers are parties, as on the input's own proposal: they gave what
the claim would be paid from or stood behind the purchase. Passing it
makes the claim owed; a treasurer then pays it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.kinds.input import hold_journal, input_parties
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
from commons.ledger import services as ledger
from commons.problems import Conflict, Invalid, NotFound
from commons.projects.models import Project


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    try:
        seq = int(str(details.get("claim", "")).lstrip("#"))
    except ValueError:
        raise Invalid("Name the expense claim to approve by its number.", field="claim") from None
    try:
        claim = ledger.get_claim(session, project, seq)
    except NotFound as problem:
        raise Invalid(problem.message, field="claim") from None
    if claim.status != "pending":
        raise Invalid(f"Claim #{seq} is {claim.status} already.", field="claim")
    open_already = open_claim_proposal(session, project, seq)
    if open_already is not None:
        raise Conflict(f"Proposal #{open_already.number} already asks to approve claim "
                       f"#{seq}.", field="claim")
    assert claim.input is not None, "only an expense claim (with its input) is ever pending"
    parties = [party for party in input_parties(session, claim.input)
               if party.user_id != claim.claimant_id]
    return Opened({"claim": seq, "input": claim.input.number}, parties)


def open_claim_proposal(session: Session, project: Project, seq: int) -> Proposal | None:
    """The undecided proposal to approve claim *seq*, if there is one."""
    return session.scalar(sa.select(Proposal).where(
        Proposal.project_id == project.id, Proposal.kind == "claim",
        Proposal.status.in_([rules.OPEN, rules.BLOCKED]),
        Proposal.details["claim"].as_integer() == seq))


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    seq = proposal.details["claim"]
    try:
        claim = ledger.approve_claim(session, project, seq, proposal.number, now)
    except (Conflict, NotFound) as error:
        raise EffectError(error.message) from None
    return (f"Claim #{seq} ({ledger_rules.shown(claim.amount, claim.currency)} "
            f"{claim.currency}) is approved; a treasurer records its payout.")


def author_withdrew(session: Session, proposal: Proposal) -> None:
    """The claimant withdrew the proposal (they are its author): the claim
    is withdrawn with it, a ``claim_refuse`` entry."""
    assert proposal.decided_at is not None  # set to the withdrawal's time before this
    ledger.refuse_claim(session, proposal.project, proposal.details["claim"], "withdrawn",
                        proposal.number, proposal.decided_at, actor=proposal.author)


KIND = Kind("claim", read_details, carry_out, before_claim=hold_journal,
            author_withdrew=author_withdrew)
