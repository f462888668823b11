"""Pools in the API: pools and their journal, rounds with the figures each
iteration's close published, requests and the allocation; POSTs offer a
pool, change what is available, close it, open a round, and file or
withdraw a project's request, through the same services as the pages (so
the same checks and the same 422 messages). The Valueflows export of a
pool is GET /pools/<id>.jsonld."""

import json

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from commons import clock
from commons.api import pool_schemas as schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance.models import Proposal
from commons.governance.services import Settings
from commons.ledger.quantity_rules import text
from commons.pools import reading, services, valueflows
from commons.pools.models import Pool, PoolRequest, PoolRound
from commons.problems import Forbidden, Invalid, NotFound
from commons.projects import services as projects
from commons.urls import absolute_url

blp = Blueprint("api_pools", __name__,
                description="Pools shared among projects, the planning rounds that allocate "
                            "them, requests and allocations")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
POOL = "/pools/<int(max=2147483647):pool_id>"
ROUND = POOL + "/rounds/<int(max=2147483647):number>"


# ---------------------------------------------------------------- answers

def _text(value) -> str | None:
    return None if value is None else text(value)


def pool_json(pool: Pool) -> dict:
    steward = ({"user": pool.steward_user.username} if pool.steward_user is not None
               else {"project": pool.steward_project.slug if pool.steward_project else None})
    return {"id": pool.id, "title": pool.title, "description": pool.description,
            "kind": pool.kind, "unit": pool.unit, "currency": pool.currency,
            "available": text(pool.available), "period": pool.period, "steward": steward,
            "eligibility": pool.eligibility,
            "eligible": [project.slug for project in pool.eligible_projects],
            "contested_rule": pool.contested_rule, "created_at": pool.created_at,
            "closed_at": pool.closed_at,
            "rounds": [{"number": each.number, "status": each.status,
                        "iteration": each.iteration, "iterations": each.iterations}
                       for each in reading.rounds_of(db.session, pool)],
            "web_url": absolute_url("pools.show", pool_id=pool.id)}


def request_json(request: PoolRequest, slug: str) -> dict:
    return {"project": slug, "iteration": request.iteration,
            "quantity": text(request.quantity), "withdrawn": request.withdrawn,
            "input_numbers": list(request.input_numbers or []),
            "justification": request.justification,
            "filed_by": request.filed_by.username if request.filed_by else None,
            "filed_at": request.filed_at}


def round_json(pool: Pool, found: PoolRound) -> dict:
    figures = []
    for iteration in reversed(reading.round_figures(db.session, pool, found)):
        published = iteration.published
        figures.append({
            "iteration": iteration.number, "available": text(iteration.available),
            "requested": text(iteration.requested), "ratio": _text(iteration.ratio),
            "closed_at": published.closed_at if published else None,
            "shares": reading.shares_by_slug(db.session, published) if published else {},
            "note": iteration.note})
    return {"pool": pool.id, "number": found.number, "status": found.status,
            "iterations": found.iterations, "iteration_seconds": found.iteration_seconds,
            "iteration": found.iteration, "iteration_closes_at": found.iteration_closes_at,
            "opened_at": found.opened_at, "settled_at": found.settled_at,
            "proposal": _proposal_url(found), "figures": figures,
            "allocations": [_allocation_json(allocation, project.slug) for allocation, project
                            in reading.allocations_of(db.session, found)],
            "web_url": absolute_url("pools.round", pool_id=pool.id, number=found.number)}


def _proposal_url(found: PoolRound) -> str | None:
    if found.proposal_id is None:
        return None
    proposal = db.session.get(Proposal, found.proposal_id)
    if proposal is None:
        return None
    return absolute_url("governance.show", slug=proposal.project.slug, number=proposal.number)


def _allocation_json(allocation, slug: str) -> dict:
    return {"project": slug, "quantity": text(allocation.quantity),
            "pledges": list(allocation.pledges or [])}


def _load(pool_id: int) -> Pool:
    return reading.get_pool(db.session, pool_id)


def _steward(pool: Pool, user) -> None:
    if not reading.is_steward(user, pool):
        raise Forbidden(f"Only the steward of {pool.title} ({reading.steward_name(pool)}) "
                        "changes it or opens its rounds.")


# ---------------------------------------------------------------- pools

@blp.route("/pools", methods=["GET"])
@blp.response(200, schemas.PoolOut(many=True))
def list_pools():
    """Pools, open ones first, newest first (at most 100)."""
    return [pool_json(pool) for pool in reading.list_pools(db.session)]


@blp.route("/pools", methods=["POST"])
@token_required
@blp.arguments(schemas.PoolCreate)
@blp.response(201, schemas.PoolOut)
@blp.doc(security=BEARER)
@refuses(403)
def create_pool(body):
    """Offer a pool: money in a currency, or a resource in a ledger unit.
    You steward it, or a project you are a member of does."""
    pool = services.create_pool(db.session, require_api_user(), services.PoolForm(**body),
                                clock.now())
    db.session.commit()
    return pool_json(pool)


@blp.route(POOL, methods=["GET"])
@blp.response(200, schemas.PoolOut)
def get_pool(pool_id: int):
    """One pool and its rounds."""
    return pool_json(_load(pool_id))


@blp.route(POOL + "/journal", methods=["GET"])
@blp.response(200, schemas.PoolJournal)
def pool_journal(pool_id: int):
    """The pool's hash-chained journal, newest first (the last 50 entries)."""
    pool = _load(pool_id)
    entries = []
    for entry in reading.history(db.session, pool):
        document = json.loads(entry.payload)
        entries.append({"seq": entry.seq, "at": document.get("at"),
                        "actor": document.get("actor"), "action": entry.action,
                        "data": document.get("data", {}), "prev_hash": entry.prev_hash,
                        "hash": entry.hash})
    return {"pool": pool.id, "entries": entries}


@blp.route(POOL + "/availability", methods=["POST"])
@token_required
@blp.arguments(schemas.AvailabilityBody)
@blp.response(201, schemas.PoolOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def change_availability(body, pool_id: int):
    """The steward records what is available now; the next iteration's close
    uses the new figure and says so."""
    pool = _load(pool_id)
    user = require_api_user()
    _steward(pool, user)
    services.change_availability(db.session, user, pool, body["available"], body["reason"],
                                 clock.now())
    db.session.commit()
    return pool_json(pool)


@blp.route(POOL + "/close", methods=["POST"])
@token_required
@blp.arguments(schemas.ReasonBody)
@blp.response(201, schemas.PoolOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def close_pool(body, pool_id: int):
    """The steward closes the pool: it takes no new rounds."""
    pool = _load(pool_id)
    user = require_api_user()
    _steward(pool, user)
    services.close_pool(db.session, user, pool, body["reason"], clock.now())
    db.session.commit()
    return pool_json(pool)


@blp.route(POOL + ".jsonld", methods=["GET"])
@blp.doc(responses={"200": {"description": "The pool as Valueflows JSON-LD.",
                            "content": {"application/ld+json": {"schema": {"type": "object"}}}}})
def pool_jsonld(pool_id: int):
    """The pool as Valueflows JSON-LD: the pool an EconomicResource, each
    request an Intent, each round's allocation the Commitments of a Plan."""
    pool = _load(pool_id)
    base_url = Settings.from_config(current_app.config).base_url
    document = valueflows.pool_jsonld(db.session, pool, base_url)
    response = Response(json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                        mimetype="application/ld+json")
    response.headers["Content-Disposition"] = f'attachment; filename="pool-{pool.id}.jsonld"'
    return response


# ---------------------------------------------------------------- rounds

# GET and POST on one rule (a MethodView): with two rules, a POST to a path
# whose number is past the converter's maximum would be 405 (werkzeug
# checks the method before the converter), not the 404 it is.
@blp.route(POOL + "/rounds")
class Rounds(MethodView):
    @blp.response(200, schemas.RoundOut(many=True))
    def get(self, pool_id: int):
        """The pool's rounds, newest first, each with its figures."""
        pool = _load(pool_id)
        return [round_json(pool, each) for each in reading.rounds_of(db.session, pool)]

    @token_required
    @blp.arguments(schemas.RoundCreate)
    @blp.response(201, schemas.RoundOut)
    @blp.doc(security=BEARER)
    @refuses(403, 409)
    def post(self, body, pool_id: int):
        """The steward opens a round: 1 to 10 iterations (3 by default),
        each 3 days long unless iteration_seconds says otherwise."""
        pool = _load(pool_id)
        user = require_api_user()
        _steward(pool, user)
        found = services.open_round(
            db.session, user, pool, body["iterations"], body["iteration_seconds"], clock.now(),
            min_review_window=int(current_app.config["MIN_REVIEW_WINDOW"]))
        db.session.commit()
        return round_json(pool, found)


@blp.route(ROUND, methods=["GET"])
@blp.response(200, schemas.RoundOut)
def get_round(pool_id: int, number: int):
    """One round: each iteration's figures and the allocation."""
    pool = _load(pool_id)
    return round_json(pool, reading.get_round(db.session, pool, number))


@blp.route(ROUND + "/requests")
class Requests(MethodView):
    @blp.arguments(schemas.RequestsQuery, location="query")
    @blp.response(200, schemas.RequestOut(many=True))
    def get(self, query, pool_id: int, number: int):
        """The round's requests, iteration by iteration, by project name."""
        pool = _load(pool_id)
        found = reading.get_round(db.session, pool, number)
        wanted = query.get("iteration")
        return [request_json(request, project.slug)
                for request, project in reading.every_request(db.session, found)
                if wanted is None or request.iteration == wanted]

    @token_required
    @blp.arguments(schemas.RequestCreate)
    @blp.response(201, schemas.RequestOut)
    @blp.doc(security=BEARER)
    @refuses(403, 409)
    def post(self, body, pool_id: int, number: int):
        """File or revise a project's request in the current iteration
        (members of an eligible project). It may not rise above what the
        project asked in the previous iteration."""
        pool = _load(pool_id)
        found = reading.get_round(db.session, pool, number)
        user = require_api_user()
        project = _requesting(pool, user, body["project"])
        request = services.file_request(db.session, user, found, project, body["quantity"],
                                        body["input_numbers"], body["justification"],
                                        clock.now(), unit=body.get("unit"))
        db.session.commit()
        return request_json(request, project.slug)


@blp.route(ROUND + "/requests/<slug>/withdrawal", methods=["POST"])
@token_required
@blp.response(201, schemas.RequestOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def withdraw_request(pool_id: int, number: int, slug: str):
    """Withdraw the project's request for the current iteration."""
    pool = _load(pool_id)
    found = reading.get_round(db.session, pool, number)
    user = require_api_user()
    project = _requesting(pool, user, slug)
    request = services.withdraw_request(db.session, user, found, project, clock.now())
    db.session.commit()
    return request_json(request, project.slug)


def _requesting(pool: Pool, user, slug: str):
    try:
        project = projects.get_project(db.session, slug, with_members=False)
    except NotFound:
        raise Invalid(f"There is no project {slug!r}; give the slug of your project.",
                      field="project") from None
    if not project.is_member(user):
        raise Forbidden(f"Only members of {project.name} file or withdraw its request.")
    return project


@blp.route(ROUND + "/allocations", methods=["GET"])
@blp.response(200, schemas.AllocationOut(many=True))
def list_allocations(pool_id: int, number: int):
    """What each project receives from the round, once it is allocated, and
    the pledges written in its journal."""
    pool = _load(pool_id)
    found = reading.get_round(db.session, pool, number)
    return [_allocation_json(allocation, project.slug)
            for allocation, project in reading.allocations_of(db.session, found)]
