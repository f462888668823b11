"""Rotas in the API: a project's rotas, one rota with who opted in and its
turns, and the writes the pages make: create a rota, opt in (POST) and out
(DELETE), mark a turn done (its hours logged as work), ask for, confirm and
cancel a swap. Same services as the pages, so the same checks and
messages; Idempotency-Key on every POST, as elsewhere."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from commons import clock
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.api.schemas import _amount, _optional_text
from commons.extensions import db
from commons.ledger.quantity_rules import text
from commons.problems import Forbidden
from commons.projects import services as projects
from commons.rotas import services
from commons.rotas.models import Rota, RotaSwap
from commons.urls import absolute_url

blp = Blueprint("api_rotas", __name__,
                description="Rotas for recurring routine and care work: who opted in, "
                            "turns, swaps, and turns done")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ROTA = "/projects/<slug>/rotas/<int(max=2147483647):rota_id>"
TURN = ROTA + "/turns/<int(max=2147483647):number>"
SWAP = ROTA + "/swaps/<int(max=2147483647):swap_id>"


# ---------------------------------------------------------------- shapes

class RotaCreate(Schema):
    title = fields.String(required=True, metadata={"example": "Clean the workshop"})
    category = fields.String(load_default="care", metadata={
        "description": "routine, care, creative or coordination"})
    every_days = fields.Raw(load_default=7, metadata={
        "type": "integer", "description": "Days between turns, 1 to 366 (7 is weekly)."})
    hours = _amount("About how many hours a turn takes.", load_default="1")
    starts_on = _optional_text("The first turn's day, YYYY-MM-DD; null for today.")


class TurnOut(Schema):
    number = fields.Integer()
    due_on = fields.Date()
    holder = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "upcoming, open (nobody holds it yet), "
                                                   "done or missed"})
    hours = fields.String(allow_none=True)
    work_seq = fields.Integer(allow_none=True, metadata={
        "description": "The work entry that logged a done turn's hours."})


class SwapOut(Schema):
    id = fields.Integer()
    turn = fields.Integer()
    other_turn = fields.Integer(allow_none=True)
    asked_by = fields.String(allow_none=True)
    asked_to = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "asked, confirmed or cancelled"})
    asked_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)


class MemberOut(Schema):
    username = fields.String()
    opted_in_at = fields.DateTime()
    hours = fields.String(metadata={"description": "Hours of the rota's kind of work logged "
                                                   "in the last 90 days."})


class RotaSummary(Schema):
    id = fields.Integer()
    title = fields.String()
    category = fields.String()
    every_days = fields.Integer()
    hours = fields.String()
    starts_on = fields.Date()
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    web_url = fields.String()


class RotaOut(RotaSummary):
    members = fields.List(fields.Nested(MemberOut))
    upcoming = fields.List(fields.Nested(TurnOut))
    past = fields.List(fields.Nested(TurnOut))
    swaps = fields.List(fields.Nested(SwapOut))


class DoneBody(Schema):
    hours = _amount("Hours the turn took; empty: the rota's usual hours.", load_default=None)
    date = _optional_text("The day it was done, YYYY-MM-DD; null: the turn's day, or today "
                          "if that is earlier.")


class SwapBody(Schema):
    username = fields.String(required=True, metadata={
        "description": "Whom you ask: someone who opted in to the rota."})
    other_turn = fields.Integer(strict=True, allow_none=True, load_default=None, metadata={
        "description": "One of their upcoming turns to take in exchange; null to give yours "
                       "away."})


# ---------------------------------------------------------------- answers

def _turn_json(view: services.TurnView) -> dict:
    return {"number": view.number, "due_on": view.due_on, "holder": view.holder,
            "state": view.state, "hours": None if view.hours is None else text(view.hours),
            "work_seq": view.work_seq}


def swap_json(swap: RotaSwap) -> dict:
    return {"id": swap.id, "turn": swap.turn.number,
            "other_turn": swap.other_turn.number if swap.other_turn else None,
            "asked_by": swap.asked_by.username if swap.asked_by else None,
            "asked_to": swap.asked_to.username if swap.asked_to else None,
            "status": swap.status, "asked_at": swap.asked_at, "settled_at": swap.settled_at}


def rota_json(project, rota: Rota, *, full: bool = True) -> dict:
    answer = {"id": rota.id, "title": rota.title, "category": rota.category,
              "every_days": rota.every_days, "hours": text(rota.hours),
              "starts_on": rota.starts_on,
              "created_by": rota.created_by.username if rota.created_by else None,
              "created_at": rota.created_at,
              "web_url": absolute_url("rotas.show", slug=project.slug, rota_id=rota.id)}
    if not full:
        return answer
    today = clock.now().date()
    members = services.members_of(db.session, rota)
    hours = services.hours_of_kind(db.session, project, rota.category,
                                   [m.user_id for m in members], today)
    upcoming, past = services.turn_views(db.session, rota, today)
    return {**answer,
            "members": [{"username": m.user.username, "opted_in_at": m.opted_in_at,
                         "hours": text(hours[m.user_id])} for m in members],
            "upcoming": [_turn_json(view) for view in upcoming],
            "past": [_turn_json(view) for view in past],
            "swaps": [swap_json(swap) for swap in services.open_swaps(db.session, rota)]}


def _project(slug: str):
    return projects.get_project(db.session, slug, with_members=False)


def _rota(project, rota_id: int, *, refresh: bool = False) -> Rota:
    """The rota; reading it (*refresh*) hands out the turns that came into
    view. Writes do not: their own transaction is the only one a POST
    commits, so an Idempotency-Key refused by a 4xx is freed for a retry."""
    rota = services.get_rota(db.session, project, rota_id)
    if refresh and services.refresh(db.session, project, rota, now=clock.now()):
        db.session.commit()  # turns that came into view are handed out once, for everyone
    return rota


def _member(project, what: str):
    user = require_api_user()
    if not project.is_member(user):
        raise Forbidden(f"Only members of {project.name} {what}. Join the project first.")
    return user


# ---------------------------------------------------------------- rotas

@blp.route("/projects/<slug>/rotas")
class Rotas(MethodView):
    @blp.response(200, RotaSummary(many=True))
    def get(self, slug: str):
        """The project's rotas, by title."""
        project = _project(slug)
        return [rota_json(project, rota, full=False)
                for rota in services.list_rotas(db.session, project)]

    @token_required
    @blp.arguments(RotaCreate)
    @blp.response(201, RotaOut)
    @blp.doc(security=BEARER)
    @refuses(403)
    def post(self, body, slug: str):
        """Start a rota for a recurring task (members)."""
        project = _project(slug)
        rota = services.create_rota(db.session, project, _member(project, "create rotas"),
                                    services.RotaFields(**body), now=clock.now())
        db.session.commit()
        return rota_json(project, rota)


@blp.route(ROTA, methods=["GET"])
@blp.response(200, RotaOut)
def get_rota(slug: str, rota_id: int):
    """One rota: who opted in (with their hours of its kind of work in the
    last 90 days), the next turns, past turns done or missed, open swaps."""
    project = _project(slug)
    return rota_json(project, _rota(project, rota_id, refresh=True))


@blp.route(ROTA + "/members")
class Members(MethodView):
    @token_required
    @blp.response(201, RotaOut)
    @blp.doc(security=BEARER)
    @refuses(403, 409)
    def post(self, slug: str, rota_id: int):
        """Opt in (members of the project): you take turns from the next one
        handed out."""
        project = _project(slug)
        rota = _rota(project, rota_id)
        services.opt_in(db.session, project, rota, _member(project, "opt in to its rotas"),
                        now=clock.now())
        db.session.commit()
        return rota_json(project, rota)

    @token_required
    @blp.response(200, RotaOut)
    @blp.doc(security=BEARER)
    @refuses(409)
    def delete(self, slug: str, rota_id: int):
        """Opt out: your upcoming turns go to the others; done and missed
        turns stay as they were."""
        project = _project(slug)
        rota = _rota(project, rota_id)
        services.opt_out(db.session, project, rota, require_api_user(), now=clock.now())
        db.session.commit()
        return rota_json(project, rota)


@blp.route(TURN + "/done", methods=["POST"])
@token_required
@blp.arguments(DoneBody)
@blp.response(201, RotaOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def turn_done(body, slug: str, rota_id: int, number: int):
    """Mark your turn done: its hours are logged as work of the rota's kind
    (a journal entry, awaiting another member's confirmation like any work)
    and the turn links to it. A missed turn can be marked done late, within
    the days back work may be logged."""
    project = _project(slug)
    rota = _rota(project, rota_id)
    services.mark_done(db.session, project, rota,
                       _member(project, "take turns in its rotas"), number, body["hours"],
                       body["date"], now=clock.now(),
                       max_days_back=current_app.config["WORK_MAX_DAYS_BACK"])
    db.session.commit()
    return rota_json(project, rota)


@blp.route(TURN + "/swaps", methods=["POST"])
@token_required
@blp.arguments(SwapBody)
@blp.response(201, SwapOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def ask_swap(body, slug: str, rota_id: int, number: int):
    """Ask someone in the rota to take your turn, or to swap it with one of
    theirs (other_turn). Nothing changes hands until they confirm."""
    project = _project(slug)
    rota = _rota(project, rota_id)
    swap = services.ask_swap(db.session, project, rota,
                             _member(project, "take turns in its rotas"), number,
                             body["username"], body["other_turn"], now=clock.now())
    db.session.commit()
    return swap_json(swap)


@blp.route(SWAP + "/confirmation", methods=["POST"])
@token_required
@blp.response(201, SwapOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def confirm_swap(slug: str, rota_id: int, swap_id: int):
    """The one asked confirms the swap: the turns change hands."""
    project = _project(slug)
    rota = _rota(project, rota_id)
    swap = services.confirm_swap(db.session, rota, _member(project, "take turns in its rotas"),
                                 swap_id, now=clock.now())
    db.session.commit()
    return swap_json(swap)


@blp.route(SWAP + "/cancellation", methods=["POST"])
@token_required
@blp.response(201, SwapOut)
@blp.doc(security=BEARER)
@refuses(403, 409)
def cancel_swap(slug: str, rota_id: int, swap_id: int):
    """Either of the two cancels a swap before it is confirmed."""
    project = _project(slug)
    rota = _rota(project, rota_id)
    swap = services.cancel_swap(db.session, rota, require_api_user(), swap_id,
                                now=clock.now())
    db.session.commit()
    return swap_json(swap)
