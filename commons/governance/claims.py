"""The proposal that asks the project to approve an expense claim above
its approval threshold: opened when the claim is recorded (the
``claim_pending`` signal), in the ledger's transaction."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.kinds.claim import open_claim_proposal
from commons.governance.models import Proposal
from commons.governance.opening import open_proposal
from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
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
