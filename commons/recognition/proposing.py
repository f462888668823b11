"""Proposing a distribution: its shares are worked out now (the kind's
generic opening has no clock) and fixed in the proposal, with every member
a party."""

from datetime import datetime

from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.kinds.base import Opened
from commons.governance.models import Proposal
from commons.governance.opening import add_proposal
from commons.governance.settings import Settings
from commons.ledger import rules as ledger_rules
from commons.problems import Forbidden, Invalid
from commons.projects.models import Project
from commons.recognition.distributions import KIND, member_parties, preview
from commons.text import TextError, clean_text


def propose_distribution(session: Session, project: Project, author: User, period: object,
                         amount: object, currency: object, settings: Settings,
                         now: datetime, title: object = "", body: object = "") -> Proposal:
    """A member proposes to share *amount* *currency* by the rule for
    *period*: the shares are computed now and fixed in the proposal, whose
    parties are all the members. Nothing is written when refused."""
    if not project.is_member(author):
        raise Forbidden(f"Only members of {project.name} propose a distribution. Join it first.")
    shown = preview(session, project, period, amount, currency, now)
    try:
        title = clean_text(str(title or ""), label="Title", max_length=200, required=False) or \
            (f"Share {ledger_rules.shown(shown.amount, shown.currency)} {shown.currency} "
             f"for {shown.period} by the value rule")
        body = clean_text(str(body or ""), label="Body", max_length=20000, required=False, multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="title" if "Title" in str(error) else "body") from None
    return add_proposal(session, project, author, KIND, title, body,
                        Opened(shown.details(), member_parties(project)), settings, now)
