"""Distributions in the API (issue 20): read them with their shares and
the claims they became; a member proposes one, its shares computed and
fixed in the proposal the answer gives."""

from flask import current_app

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.api.governance import proposal_json
from commons.api.ledger_blueprint import BEARER, blp, load_project
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import rules as ledger_rules
from commons.recognition import distributions
from commons.recognition.proposing import propose_distribution


@blp.route("/projects/<slug>/distributions", methods=["GET"])
@blp.response(200, schemas.DistributionsOut)
def list_distributions(slug: str):
    """The project's distributions, newest first (at most 200), each share
    with the claim it became and its status once passed; and what is
    available to share per currency."""
    project = load_project(slug)
    return {"project": project.slug,
            "available": {currency: ledger_rules.text(amount) for currency, amount
                          in distributions.funds_overview(db.session, project)},
            "distributions": [_record(d) for d in
                              distributions.list_distributions(db.session, project)]}


def _record(d: distributions.Distribution) -> dict:
    details = d.proposal.details
    shares = []
    for share in details["shares"]:
        claim = d.claims.get(share["user"])
        shares.append({**share, "claim": claim.number if claim else None,
                       "status": claim.status if claim else None})
    return {"proposal": d.proposal.number, "status": d.proposal.status,
            "period": details["period"], "amount": details["amount"],
            "currency": details["currency"], "rule_version": details["rule_version"],
            "total_recognition": details["total_recognition"], "entry": d.entry_seq,
            "shares": shares}


@blp.route("/projects/<slug>/distributions", methods=["POST"])
@token_required
@blp.arguments(schemas.DistributionCreate)
@blp.response(201, schemas.ProposalOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def create_distribution(body, slug: str):
    """Propose to share AMOUNT CURRENCY of the funds for PERIOD (members):
    each person's share is computed now by the value rule and kept in the
    proposal's details. 422 for a bad month or amount, an amount above what
    is available, or a month with nobody's confirmed work; 409 when another
    open proposal shares the same month."""
    project = load_project(slug, members=True)
    proposal = propose_distribution(
        db.session, project, require_api_user(), body["period"], body["amount"],
        body["currency"], governance.Settings.from_config(current_app.config), clock.now(),
        title=body["title"], body=body["body"])
    db.session.commit()
    return proposal_json(governance.get_proposal(db.session, project, proposal.number))
