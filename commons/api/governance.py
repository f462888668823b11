"""Proposals and stances in the API. Reads never decide: a proposal past
its close that the worker has not decided yet says `being_carried_out`."""

from flask import current_app
from flask_smorest import Blueprint

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance import line_comments, line_rules, notices, rules, services
from commons.governance.line_comments import Place
from commons.governance.line_objections import object_citing_lines
from commons.problems import Invalid
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
    # Not every member's account: a project of 2,000 members loaded them all
    # for the author's membership alone (bench/notices.py).
    project = projects.get_project(db.session, slug, with_members=False)
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
    proposal = services.get_proposal(db.session, project, number)
    if body["lines"]:
        if body["stance"] != "object":
            raise Invalid("Only an objection cites lines; send the lines with "
                          "\"stance\": \"object\" and your reason.", field="lines")
        stance = object_citing_lines(
            db.session, project, proposal, require_api_user(), body["reason"],
            [Place(line["path"], line["side"], line["line"]) for line in body["lines"]],
            clock.now(), _settings(), body["revision"], max_chars=_max_chars())
    else:
        stance = services.take_stance(db.session, proposal, require_api_user(),
                                      body["stance"], body["reason"], clock.now(),
                                      body["revision"])
    db.session.commit()
    return _stance_json(stance, proposal)


# ------------------------------------------------ comments and line comments
@blp.route("/projects/<slug>/proposals/<int(max=2147483647):number>/comments",
           methods=["POST"])
@token_required
@blp.arguments(schemas.CommentBody)
@blp.response(201, schemas.CommentOut)
@blp.doc(security=[{"bearer": []}])
@refuses(409)
def add_comment(body, slug: str, number: int):
    """Comment on the proposal, or, with path, side, line and head, on one
    line of a merge proposal's diff (422 for a line outside the diff, a head
    the proposal no longer pins, an empty or oversized body)."""
    project = projects.get_project(db.session, slug)
    proposal = services.get_proposal(db.session, project, number)
    user = require_api_user()
    place = [key for key in ("path", "side", "line", "head") if key in body]
    if place:
        if missing := [key for key in ("path", "side", "line", "head") if key not in body]:
            raise Invalid(f"A line comment names path, side, line and head; "
                          f"{', '.join(missing)} missing.", field=missing[0])
        comment = line_comments.add_line_comment(
            db.session, project, proposal, user, body["path"], body["side"], body["line"],
            body["head"], body["body"], clock.now(), _settings(), max_chars=_max_chars())
    else:
        comment = services.add_comment(db.session, proposal, user, body["body"], clock.now())
    db.session.commit()
    return comment_json(comment)


def _max_chars() -> int:
    return int(current_app.config.get("COMMENT_MAX_CHARS", line_rules.DEFAULT_MAX_CHARS))


def comment_json(comment) -> dict:
    line = comment.path is not None
    return {"id": comment.id, "username": comment.user.username if comment.user else None,
            "body": comment.body, "created_at": comment.created_at, "path": comment.path,
            "side": comment.side, "line": comment.line, "head": comment.head,
            "outdated": comment.outdated, "objection": comment.is_objection,
            "anchor": line_rules.line_anchor(comment.path, comment.side, comment.line)
            if line else None}
# ------------------------------------------------ end of comments


@blp.route("/projects/<slug>/proposals/<int(max=2147483647):number>/stances/mine",
           methods=["DELETE"])
@token_required
@blp.response(204)
@blp.doc(security=[{"bearer": []}])
@refuses(409)
def withdraw_stance(slug: str, number: int):
    """Withdraw your own stance."""
    project = projects.get_project(db.session, slug)
    proposal = services.get_proposal(db.session, project, number)
    services.withdraw_stance(db.session, proposal, require_api_user(), clock.now())
    db.session.commit()


def proposal_json(proposal, full: bool = True) -> dict:
    data = {
        "number": proposal.number, "kind": proposal.kind, "title": proposal.title,
        "body": proposal.body, "author": proposal.author.username if proposal.author else None,
        "status": proposal.status, "voting": proposal.voting, "revision": proposal.revision,
        "being_carried_out": rules.being_carried_out(proposal.status, proposal.closes_at,
                                                     clock.now()),
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
            stances=[_stance_json(s, proposal) for s in proposal.stances]
            + [_outside_stance_json(s, proposal) for s in proposal.outside_stances],
            # Notice gates silence (governance.notices): who was told, when.
            notices=[party.as_json() for party in notices.parties(db.session, proposal)],
            waiting_for_notice=notices.pending(db.session, proposal),
            affected=[{"username": a.user.username if a.user else None, "name": a.name,
                       "reason": a.reason, "weight": a.weight} for a in proposal.affected],
            affected_complete=proposal.affected_complete,
            comments=[comment_json(c) for c in proposal.comments])
    return data


def _outside_stance_json(stance, proposal) -> dict:
    """A stance taken without an account: by name, never by address."""
    return {"username": None, "name": stance.name, "account": False, "stance": stance.stance,
            "reason": stance.reason, "revision": stance.revision,
            "stale": stance.revision != proposal.revision, "taken_at": stance.taken_at}


def _stance_json(stance, proposal) -> dict:
    return {"username": stance.user.username, "stance": stance.stance, "reason": stance.reason,
            "revision": stance.revision, "stale": stance.revision != proposal.revision,
            "taken_at": stance.taken_at}
