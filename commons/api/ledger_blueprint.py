"""The ledger API's blueprint and what its reads and writes share: loading a
project (deciding what is due first) and an input as the answers give it.
The routes are in ledger.py (reads) and ledger_writes.py (writes)."""

import sqlalchemy as sa
from flask_smorest import Blueprint

from commons import clock
from commons.extensions import db
from commons.governance import rules as governance_rules
from commons.governance.models import Proposal
from commons.ledger import exports, services
from commons.ledger.models import Input
from commons.projects import services as projects
from commons.projects.models import Project
from commons.urls import absolute_url

blp = Blueprint("api_ledger", __name__,
                description="The inputs ledger: needs, pledges, receipts, consumption, work "
                            "and corrections in a hash-chained journal")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
NUMBER = "<int(max=2147483647):number>"
SEQ = "<int(max=2147483647):seq>"


def load_project(slug: str, members: bool = False) -> Project:
    """The project (its due proposals are decided by the worker, never here)."""
    project = projects.get_project(db.session, slug, with_members=members)
    return project


def open_proposals(project: Project) -> dict[int, int]:
    """Input number -> the open (or blocked) `input` proposal deciding it."""
    found: dict[int, int] = {}
    for number, details in db.session.execute(
            sa.select(Proposal.number, Proposal.details).where(
                Proposal.project_id == project.id, Proposal.kind == "input",
                Proposal.status.in_([governance_rules.OPEN, governance_rules.BLOCKED]))
            .order_by(Proposal.number)):
        if isinstance(details, dict) and isinstance(details.get("input"), int):
            found.setdefault(details["input"], number)
    return found


def input_json(project: Project, need: Input, proposals: dict[int, int],
               with_pledges: bool = True) -> dict:
    """*need* as the API answers it: its record, the proposal deciding it
    (from *proposals*, see open_proposals) and its page's URL."""
    return {**exports.input_record(need, with_pledges=with_pledges, today=clock.now().date()),
            "proposal": proposals.get(need.number),
            "web_url": absolute_url("ledger.input", slug=project.slug, number=need.number)}


def input_now(project: Project, number: int) -> dict:
    """Input *number* with its balances, as the answers give it."""
    return input_json(project, services.get_input(db.session, project, number),
                      open_proposals(project))
