"""Projects in the API: list, create, read, join and leave."""

from flask import current_app
from flask_smorest import Blueprint

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance import services as governance
from commons.money import parse_amount
from commons.problems import Invalid
from commons.projects import joining, services
from commons.projects.models import Membership, Project
from commons.projects.rules import Threshold
from commons.urls import absolute_url, clone_url

blp = Blueprint("api_projects", __name__, description="Projects and membership")


@blp.route("/projects", methods=["GET"])
@blp.arguments(schemas.ProjectQuery, location="query")
@blp.response(200, schemas.Project(many=True))
def list_projects(query):
    """Every project, newest first; ``q`` searches names and descriptions."""
    return [project_json(p) for p in services.search_projects(db.session, query["q"], limit=200)]


@blp.route("/projects", methods=["POST"])
@token_required
@blp.arguments(schemas.ProjectCreate)
@blp.response(201, schemas.Project)
@blp.doc(security=[{"bearer": []}])
@refuses(409)
def create_project(body):
    """Create a project under an open licence, with its repository."""
    user = require_api_user()
    settings = services.Settings.from_config(current_app.config)
    policy = body["policy"]
    threshold = None
    if "approval_threshold" in policy:
        amount = parse_amount(policy["approval_threshold"]["amount"])
        if amount is None:
            raise Invalid("approval_threshold.amount is a plain decimal string such as \"250.00\".",
                          field="policy.approval_threshold.amount")
        threshold = Threshold(amount, policy["approval_threshold"]["currency"].upper())
    project = services.create_project(db.session, user, services.NewProject(
        name=body["name"], slug=body["slug"], license=body["license"],
        description=body["description"], admission=policy.get("admission"),
        push=policy.get("push"), review_window=policy.get("review_window"),
        approval_threshold=threshold, outside=policy.get("outside"),
        notify_outside_authors=bool(policy.get("notify_outside_authors", False)),
    ), settings, now=clock.now())
    db.session.commit()
    return project_json(project)


@blp.route("/projects/<slug>", methods=["GET"])
@blp.response(200, schemas.Project)
def get_project(slug: str):
    """One project with its members and policy."""
    return project_json(services.get_project(db.session, slug))


@blp.route("/projects/<slug>/join", methods=["POST"])
@token_required
@blp.response(201, schemas.JoinResult)
@blp.alt_response(202, schema=schemas.JoinResult, description="Waiting for the members' consent")
@blp.doc(security=[{"bearer": []}])
@refuses(409)
def join_project(slug: str):
    """Join: a member at once under open admission; pending under consent."""
    user = require_api_user()
    project = services.get_project(db.session, slug)
    membership, proposal = joining.join_or_ask(
        db.session, project, user, governance.Settings.from_config(current_app.config),
        clock.now())
    db.session.commit()
    if membership.status == Membership.MEMBER:
        return {"status": "member", "proposal": None}
    assert proposal is not None  # a pending membership always has its proposal
    return {"status": "pending", "proposal": proposal.number}, 202


@blp.route("/projects/<slug>/membership", methods=["DELETE"])
@token_required
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
@refuses(403, 409)
def leave_project(slug: str):
    """Leave the project, or withdraw a pending request to join."""
    joining.leave_or_withdraw(db.session, services.get_project(db.session, slug),
                              require_api_user(), clock.now())
    db.session.commit()


def project_json(project: Project) -> dict:
    policy = project.policy
    return {
        "slug": project.slug,
        "name": project.name,
        "description": project.description,
        "license": project.license,
        "clone_url": clone_url(project.slug),
        "web_url": absolute_url("projects.show", slug=project.slug),
        "created_at": project.created_at,
        "members": [{"username": m.user.username, "joined_at": m.joined_at}
                    for m in project.memberships if m.status == Membership.MEMBER],
        "policy": {
            "admission": policy.admission,
            "push": policy.push,
            "review_window": policy.review_window,
            "approval_threshold": {"amount": str(policy.approval_threshold.amount),
                                   "currency": policy.approval_threshold.currency},
            "outside": policy.outside,
            "notify_outside_authors": policy.notify_outside_authors,
        },
    }
