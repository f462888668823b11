"""The proposal that asks the project to approve an expense claim above
its approval threshold: opened when the claim is recorded (the
``claim_pending`` signal), in the ledger's transaction."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance import rules
from commons.governance.guards import withdraw_for
from commons.governance.kinds.claim import open_claim_proposal
from commons.governance.models import Proposal
from commons.governance.opening import open_proposal
from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
from commons.ledger import services as ledger
from commons.ledger.models import Claim
from commons.projects.models import Project


def propose_claim(session: Session, project: Project, claim: Claim, author: User,
                  settings: Settings, now: datetime) -> Proposal | None:
    """The `claim` proposal a pending claim asks for (none if one is open)."""
    if open_claim_proposal(session, project, claim.seq) is not None:
        return None
    assert claim.input is not None, "only an expense claim (with its input) is ever pending"
    amount = f"{ledger_rules.shown(claim.amount, claim.currency)} {claim.currency}"
    title = f"Pay back {amount} to {author.username} for {claim.input.title}"[:200]
    body = (f"{author.username} claims {amount} paid for input #{claim.input.number} "
            f"({claim.input.title}), expense claim #{claim.seq}. It is above the project's "
            f"approval threshold ({project.approval_amount} {project.approval_currency}) or "
            "in another currency, so the project decides before a treasurer pays it."
            + (f"\n\n{claim.description}" if claim.description else ""))
    return open_proposal(session, project, author, "claim", title, body, {"claim": claim.seq},
                         settings, now)


def withdraw_claim_proposal(session: Session, project: Project, claim: Claim, actor: User,
                            now: datetime) -> None:
    """A claim its claimant withdrew needs no decision: its open (or
    blocked) proposal is withdrawn, naming them."""
    proposal = open_claim_proposal(session, project, claim.seq)
    if proposal is not None:
        withdraw_for(session, proposal, f"{actor.username} withdrew expense claim "
                     f"#{claim.seq}, so there is nothing left to approve.", now, actor=actor)


def refuse_claim_not_passed(session: Session, proposal: Proposal, now: datetime) -> None:
    """A `claim` proposal decided for good without passing (a majority
    vote that did not carry, or failed: it could not be carried out)
    refuses its claim: a ``claim_refuse`` entry, so the claim stops
    counting against what may be claimed and is never paid. A proposal
    blocked by a standing objection is not decided for good: its author
    may revise it, members may put it to a vote, or it is withdrawn (which
    refuses the claim too), so its claim stays pending meanwhile."""
    if proposal.kind != "claim":
        return
    if proposal.status != rules.FAILED and not (
            proposal.status == rules.BLOCKED and proposal.voting == rules.MAJORITY):
        return
    refused = ledger.refuse_claim(session, proposal.project, proposal.details["claim"],
                                  "refused", proposal.number, now)
    if refused is not None and proposal.status == rules.BLOCKED:
        # Nothing is left to decide: a revision or a second vote could only
        # fail to carry out. The claimant may claim again.
        withdraw_for(session, proposal, f"Expense claim #{refused.seq} was refused: the vote "
                     "did not carry. The claimant may claim again.", now)
