"""The ledger API's funds, expense claims and payouts: read the funds per
currency and the claims; claim an expense on an input (with evidence);
a treasurer records a payout. Writes answer the entry they appended and
the claim as it now is; Idempotency-Key works as on every API POST."""

from commons import clock, paging
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.api.ledger_blueprint import BEARER, NUMBER, SEQ, blp, load_project
from commons.api.ledger_writes import _head_entry, _stored_evidence
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import exports, services
from commons.ledger.models import Claim
from commons.projects.models import Project
from commons.urls import absolute_url


def claim_json(project: Project, claim: Claim) -> dict:
    """*claim* as the API answers it, with the proposal deciding it."""
    proposal = governance.open_claim_proposal(db.session, project, claim.seq) \
        if claim.status == "pending" and not claim.share else None
    return {**exports.claim_record(claim), "proposal": proposal.number if proposal else None}


@blp.route("/projects/<slug>/funds", methods=["GET"])
@blp.response(200, schemas.FundsOut)
def funds(slug: str):
    """The project's funds per currency: money received (receipts against
    needs whose unit is a currency), paid out to claims, and the balance.
    Currencies are never added together."""
    project = load_project(slug)
    return {"project": project.slug,
            "funds": [exports.fund_record(fund)
                      for fund in services.project_funds(db.session, project)]}


@blp.route("/projects/<slug>/claims", methods=["GET"])
@blp.arguments(schemas.ClaimsQuery, location="query")
@blp.response(200, schemas.ClaimsOut)
def claims(query, slug: str):
    """The project's claims, newest entry first (a distribution's shares in
    their order), each with its payout once paid; ?limit at a time (100 by
    default, at most 500), and `next` (also a `Link: <...>; rel="next"`
    header, absent on the last page) is the next page."""
    project = load_project(slug)
    after = services.claim_cursor(query["cursor"]) if query.get("cursor") else None
    found, next_key = services.list_claims(db.session, project, after=after,
                                           limit=query["limit"])
    following = absolute_url("api_ledger.claims", slug=project.slug, limit=query["limit"],
                             cursor=paging.encode(next_key)) if next_key else None
    return ({"project": project.slug, "next": following,
             "claims": [claim_json(project, claim) for claim in found]},
            200, paging.link_next(following))


@blp.route(f"/projects/<slug>/inputs/{NUMBER}/claims", methods=["POST"])
@token_required
@blp.arguments(schemas.ClaimCreate)
@blp.response(201, schemas.ClaimCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def create_claim(body, slug: str, number: int):
    """Claim back what you paid for an approved input (members), with
    evidence (a link, or a file uploaded first with POST
    /projects/<slug>/evidence), in the input's currency, at most what the
    received part is worth less earlier claims. Above the approval
    threshold the claim is pending and a `claim` proposal asks the
    members; the answer names it."""
    project = load_project(slug, members=True)
    made = services.record_claim(
        db.session, project, require_api_user(), number, services.ClaimForm(
            amount=body["amount"], currency=body["currency"], description=body["description"],
            paid_on=body["date"], evidence_url=body["evidence_url"]),
        evidence=_stored_evidence(body), now=clock.now())
    return _created(project, made)


@blp.route(f"/projects/<slug>/claims/{SEQ}/payouts", methods=["POST"])
@token_required
@blp.arguments(schemas.PayoutCreate)
@blp.response(201, schemas.ClaimCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def create_payout(body, slug: str, seq: int):
    """Record that claim SEQ was paid (treasurers): how, the reference, the
    day. Refused (409) for a claim paid already or still pending, and above
    the project's funds in the claim's currency."""
    project = load_project(slug, members=True)
    paid = services.record_payout(db.session, project, require_api_user(), seq, body["method"],
                                  body["reference"], body["date"], now=clock.now())
    return _created(project, paid)


@blp.route(f"/projects/<slug>/claims/{SEQ}/shares/<int(min=1, max=2147483647):share>/payouts",
           methods=["POST"])
@token_required
@blp.arguments(schemas.PayoutCreate)
@blp.response(201, schemas.ClaimCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def create_share_payout(body, slug: str, seq: int, share: int):
    """Record that share SHARE of the distribution entry SEQ was paid
    (treasurers), as for an expense claim."""
    project = load_project(slug, members=True)
    paid = services.record_payout(db.session, project, require_api_user(), seq, body["method"],
                                  body["reference"], body["date"], now=clock.now(), share=share)
    return _created(project, paid)


@blp.route(f"/projects/<slug>/claims/{SEQ}/withdrawal", methods=["POST"])
@token_required
@blp.response(201, schemas.ClaimCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def withdraw_claim(slug: str, seq: int):
    """The claimant withdraws their own claim, pending or approved and not
    paid: a `claim_refuse` entry (reason "withdrawn by the claimant"); its
    open `claim` proposal, if any, is withdrawn. 403 for anyone else, 409
    for a claim paid or refused already."""
    project = load_project(slug, members=True)
    withdrawn = services.withdraw_claim(db.session, project, require_api_user(), seq,
                                        now=clock.now())
    return _created(project, withdrawn)


def _created(project: Project, claim: Claim) -> dict:
    answer = {**exports.entry_of(_head_entry(project)), "claim": claim_json(project, claim)}
    db.session.commit()
    return answer
