"""Proposals and stances in the API. Reading decides what is due first."""

from flask import current_app
from flask_smorest import Blueprint

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance import services
from commons.governance.on_read import decide_due_for
from commons.projects import services as projects
from commons.urls import absolute_url

blp = Blueprint("api_governance", __name__, description="Proposals decided by lazy consensus")


def _settings() -> services.Settings:
    return services.Settings.from_config(current_app.config)


@blp.route("/projects/<slug>/proposals", methods=["GET"])
@blp.response(200, schemas.ProposalOut(many=True))
def list_proposals(slug: str):
    """The project's proposals, newest first."""
    project = projects.get_project(db.session, slug)
    decide_due_for(project)
    return [proposal_json(p, full=False) for p in services.list_proposals(db.session, project)]


@blp.route("/projects/<slug>/proposals", methods=["POST"])
@token_required
@blp.arguments(schemas.ProposalCreate)
@blp.response(201, schemas.ProposalOut)
@blp.doc(security=[{"bearer": []}])
@refuses(403, 409)
def open_proposal(body, slug: str):
    """Open a proposal; kind fields: branch (merge), username (membership),
    license (license), policy (policy)."""
    project = projects.get_project(db.session, slug)
    details = {key: body[key] for key in ("branch", "username", "license", "input")
               if key in body}
    if body["kind"] == "policy":
        details = dict(body.get("policy") or {})
    proposal = services.open_proposal(db.session, project, require_api_user(), body["kind"],
                                      body["title"], body["body"], details, _settings(),
                                      clock.now())
    db.session.commit()
    return proposal_json(services.get_proposal(db.session, project, proposal.number))


@blp.route("/projects/<slug>/proposals/<int(max=2147483647):number>", methods=["GET"])
@blp.response(200, schemas.ProposalOut)
def get_proposal(slug: str, number: int):
    """A proposal with its stances, the parties it affects and its outcome."""
    project = projects.get_project(db.session, slug)
    decide_due_for(project)
    return proposal_json(services.get_proposal(db.session, project, number))


@blp.route("/projects/<slug>/proposals/<int(max=2147483647):number>/stances", methods=["POST"])
@token_required
@blp.arguments(schemas.StanceBody)
@blp.response(201, schemas.StanceOut)
@blp.doc(security=[{"bearer": []}])
@refuses(403, 409)
def take_stance(body, slug: str, number: int):
    """Support, abstain or object (an objection needs a reason)."""
    project = projects.get_project(db.session, slug)
    decide_due_for(project)
    proposal = services.get_proposal(db.session, project, number)
    stance = services.take_stance(db.session, proposal, require_api_user(), body["stance"],
                                  body["reason"], clock.now(), body["revision"])
    db.session.commit()
    return _stance_json(stance, proposal)


@blp.route("/projects/<slug>/proposals/<int(max=2147483647):number>/stances/mine",
           methods=["DELETE"])
@token_required
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
@refuses(409)
def withdraw_stance(slug: str, number: int):
    """Withdraw your own stance."""
    project = projects.get_project(db.session, slug)
    decide_due_for(project)
    proposal = services.get_proposal(db.session, project, number)
    services.withdraw_stance(db.session, proposal, require_api_user(), clock.now())
    db.session.commit()


def proposal_json(proposal, full: bool = True) -> dict:
    data = {
        "number": proposal.number, "kind": proposal.kind, "title": proposal.title,
        "body": proposal.body, "author": proposal.author.username if proposal.author else None,
        "status": proposal.status, "voting": proposal.voting, "revision": proposal.revision,
        "opened_at": proposal.opened_at, "closes_at": proposal.closes_at,
        "decided_at": proposal.decided_at, "details": proposal.details,
        "outcome": proposal.outcome, "result": proposal.result,
        "web_url": absolute_url("governance.show", slug=proposal.project.slug,
                                number=proposal.number),
    }
    if full:
        tally = services.current_tally(db.session, proposal)
        data.update(
            tally={"support": tally.supports, "abstain": tally.abstentions,
                   "object": tally.objections},
            stances=[_stance_json(s, proposal) for s in proposal.stances],
            affected=[{"username": a.user.username if a.user else None, "name": a.name,
                       "reason": a.reason, "weight": a.weight} for a in proposal.affected],
            affected_complete=proposal.affected_complete)
    return data


def _stance_json(stance, proposal) -> dict:
    return {"username": stance.user.username, "stance": stance.stance, "reason": stance.reason,
            "revision": stance.revision, "stale": stance.revision != proposal.revision,
            "taken_at": stance.taken_at}
