"""Distribution (issue 20): share an amount of the project's funds among
people by the value rule for a month. The shares are computed when it is
opened (``recognition.distributions.preview``) and kept in its details,
so everyone sees each person's amount before taking a stance. Every member
is a party: it is the project's money. Passing it appends the
``distribution`` entry whose shares become approved claims for the
treasurer to pay, and closes the month."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.effects import EffectError
from commons.governance.kinds.base import Details, Kind, Opened
from commons.governance.kinds.input import hold_journal
from commons.governance.models import Proposal
from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Project
from commons.recognition import distribution_rules, distributions


def read_details(session: Session, project: Project, author: User, details: Details,
                 settings: Settings) -> Opened:
    # The shares depend on today's month and rule, so they are worked out
    # by ``propose_distribution``, which is given the time.
    raise Forbidden(f"A distribution is proposed from {project.name}'s distributions page "
                    f"(/projects/{project.slug}/distributions/new) or POST "
                    f"/api/v1/projects/{project.slug}/distributions, which show each "
                    "person's share first.")


def check_under_lock(session: Session, project: Project, details: Details,
                     settings: Settings) -> None:
    """Two distributions opened at once cannot both reserve the same money
    or the same month."""
    other = distributions.get_open_distribution_for(session, project, details["period"])
    if other is not None:
        raise Conflict(f"Proposal #{other.number} already proposes to share out "
                       f"{details['period']}; take a stance there, or wait for it to close.",
                       field="period")
    amount, currency = Decimal(details["amount"]), details["currency"]
    free = distributions.available_to_share(session, project, currency)
    if refusal := distribution_rules.amount_refusal(amount, currency, free):
        raise Invalid(refusal, field="amount")


def carry_out(session: Session, proposal: Proposal, project: Project, settings: Settings,
              now: datetime) -> str:
    try:
        entry = distributions.carry_out(session, project, proposal, now)
    except (Conflict, Invalid) as error:
        raise EffectError(error.message) from None
    details = proposal.details
    paid = [share for share in details["shares"] if Decimal(share["amount"]) > 0]
    return (f"{ledger_rules.shown(Decimal(details['amount']), details['currency'])} "
            f"{details['currency']} is shared out for {details['period']} (entry {entry.seq}): "
            f"{len(paid)} claim{'' if len(paid) == 1 else 's'} await the treasurer's payout.")


KIND = Kind("distribution", read_details, carry_out, check_under_lock=check_under_lock,
            before_claim=hold_journal)
