"""Search in the API: what /search shows, as JSON."""

from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from commons.api.docs import refuses
from commons.extensions import db
from commons.projects.models import Project
from commons.search import services
from commons.search.throttle import code_search_allowed
from commons.urls import absolute_url

blp = Blueprint("api_search", __name__, description="Search across everything")


class SearchQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=2000),
                      metadata={"description": "Words to find (every one must match; the "
                                               "last also as the start of a longer word)."})
    project = fields.String(load_default="", metadata={
        "description": "A project's slug: search only its proposals, needs and code."})
    code = fields.Boolean(load_default=False, metadata={
        "description": "Also search code (git grep on default branches, time-limited)."})


class Found(Schema):
    kind = fields.String()
    title = fields.String()
    text = fields.String(metadata={"description": "The description or body."})
    project = fields.String(allow_none=True, metadata={"description": "The project's slug."})
    number = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)
    web_url = fields.String()


class Group(Schema):
    count = fields.Integer(metadata={"description": "How many match, counted up to 1,000."})
    more = fields.Boolean(metadata={"description": "The count stopped at its cap."})
    items = fields.List(fields.Nested(Found))


class CodeHit(Schema):
    project = fields.String()
    path = fields.String()
    line = fields.Integer()
    text = fields.String()
    web_url = fields.String()


class CodeResults(Schema):
    searched = fields.Integer(metadata={"description": "Projects whose code was searched."})
    timed_out = fields.String(allow_none=True, metadata={
        "description": "The project where the time for code search ran out, if it did."})
    full = fields.Boolean(metadata={"description": "Stopped at the most lines returned."})
    limited = fields.Boolean(metadata={
        "description": "Code was not searched: this client's code searches per minute "
                       "(SEARCH_CODE_RATE_LIMIT) are spent; the other kinds were searched."})
    hits = fields.List(fields.Nested(CodeHit))


class SearchResults(Schema):
    query = fields.String(metadata={"description": "The query as searched (trimmed, cut)."})
    terms = fields.List(fields.String(), metadata={"description": "Its words."})
    projects = fields.Nested(Group)
    proposals = fields.Nested(Group)
    needs = fields.Nested(Group)
    people = fields.Nested(Group)
    code = fields.Nested(CodeResults, allow_none=True)


@blp.route("/search", methods=["GET"])
@blp.arguments(SearchQuery, location="query")
@blp.response(200, SearchResults)
@refuses(404)  # a project that does not exist
def search(args):
    """Projects (name, description), proposals (title, body), needs (title,
    description) and people (username) matching ``q``, best first, each
    kind with its count; code too with ``code=true``."""
    project = None
    if args["project"]:
        project = db.session.scalar(sa.select(Project).where(Project.slug == args["project"]))
        if project is None:
            abort(404, description=f"No project is called {args['project']!r}.")
    limited = bool(args["code"]) and not code_search_allowed()
    repos_dir = Path(current_app.config["REPOS_DIR"]) if args["code"] and not limited else None
    found = services.search(db.session, args["q"],
                            services.Settings.from_config(current_app.config),
                            project=project, repos_dir=repos_dir)
    return {
        "query": found.query.text, "terms": list(found.query.terms),
        "projects": _group(found.projects, _project), "proposals": _group(found.proposals, _proposal),
        "needs": _group(found.needs, _need), "people": _group(found.people, _person),
        "code": {"searched": 0, "timed_out": None, "full": False, "limited": True, "hits": []}
        if limited else None if found.code is None else {
            "searched": found.code.searched, "timed_out": found.code.timed_out,
            "full": found.code.full, "limited": False,
            "hits": [{"project": hit.slug, "path": hit.path, "line": hit.line, "text": hit.text,
                      "web_url": absolute_url("browse.blob", slug=hit.slug,
                                              spec=f"{hit.branch}/{hit.path}")}
                     for hit in found.code.hits]},
    }


def _group(group: services.Group, shape) -> dict:
    return {"count": group.count, "more": group.more, "items": [shape(i) for i in group.items]}


def _project(item: services.Item) -> dict:
    project = item.row
    return {"kind": "project", "title": project.name, "text": project.description,
            "project": project.slug, "number": None, "status": None,
            "web_url": absolute_url("projects.show", slug=project.slug)}


def _proposal(item: services.Item) -> dict:
    proposal = item.row
    return {"kind": "proposal", "title": proposal.title, "text": proposal.body,
            "project": item.project.slug, "number": proposal.number, "status": proposal.status,
            "web_url": absolute_url("governance.show", slug=item.project.slug,
                                    number=proposal.number)}


def _need(item: services.Item) -> dict:
    need = item.row
    return {"kind": "need", "title": need.title, "text": need.description,
            "project": item.project.slug, "number": need.number, "status": need.status,
            "web_url": absolute_url("ledger.input", slug=item.project.slug, number=need.number)}


def _person(user) -> dict:
    return {"kind": "person", "title": user.username, "text": "", "project": None,
            "number": None, "status": None,
            "web_url": absolute_url("contributions.profile", username=user.username)}
