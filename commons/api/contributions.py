"""Contributor records in the API: a project's contributors, a person's
profile across projects, and credits of the All Contributors kinds.
(Hours of work are logged with POST /projects/<slug>/work, in the ledger.)"""

from pathlib import Path

from flask import current_app
from flask_smorest import Blueprint

from commons import clock, paging
from commons.accounts import services as accounts
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.contributions import exports, rules, services
from commons.extensions import db
from commons.git.repositories import repository_path
from commons.problems import NotFound
from commons.projects import services as projects
from commons.urls import absolute_url

blp = Blueprint("api_contributions", __name__,
                description="Contributor records: commits, decisions, hours of work, inputs "
                            "and credited contributions, per person and project")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _project(slug: str):
    project = projects.get_project(db.session, slug, with_members=False)
    return project


@blp.route("/projects/<slug>/contributors", methods=["GET"])
@blp.arguments(schemas.ContributorsQuery, location="query")
@blp.response(200)
def contributors(query, slug: str):
    """One record per person, every dimension apart (no score), ordered by
    name, ?limit at a time (100 by default, at most 500); `total` counts
    everyone, and `next` (also a `Link: <...>; rel="next"` header, absent
    on the last page) is the next page. ?period=90d for the last 90 days.
    Commit identities with no account have a null username and a masked
    email."""
    project = _project(slug)
    after = paging.decode(query["cursor"], (str, str)) if query.get("cursor") else None
    records = services.project_records(
        db.session, project, repository_path(current_app.config["REPOS_DIR"], slug),
        query["period"], clock.now().date())
    # Keyset over the name order (casefolded name, then the record's key),
    # so a person added between two pages is neither skipped nor repeated.
    everyone = rules.ordered(records, "name", False)
    page = [record for record in everyone
            if after is None or (record.name.casefold(), record.key) > after]
    limit = query["limit"]
    following = None
    if len(page) > limit:
        last = page[limit - 1]
        following = absolute_url(
            "api_contributions.contributors", slug=project.slug, period=query["period"],
            limit=limit, cursor=paging.encode((last.name.casefold(), last.key)))
    return ({"project": project.slug, "period": query["period"], "total": len(everyone),
             "contributors": [exports.record_json(record) for record in page[:limit]],
             "next": following}, 200, paging.link_next(following))


@blp.route("/users/<username>", methods=["GET"])
@blp.arguments(schemas.PeriodQuery, location="query")
@blp.response(200)
def user(query, username: str):
    """A person's profile: their record in every project they contributed
    to or belong to."""
    person = accounts.find_user(db.session, username)
    if person is None:
        raise NotFound(f"No account is called {username!r}.")
    found = services.profile(db.session, person, Path(current_app.config["REPOS_DIR"]),
                             query["period"], clock.now().date())
    return {"username": person.username,
            "created_at": person.created_at.isoformat().replace("+00:00", "Z"),
            "period": query["period"],
            "projects": [{"slug": project.slug, "name": project.name,
                          "member": project.is_member(person),
                          "record": exports.record_json(record)} for project, record in found]}


def credit_json(credit) -> dict:
    return {"id": credit.id, "username": credit.user.username, "kind": credit.kind,
            "evidence_url": credit.evidence_url, "note": credit.note,
            "date": credit.day.isoformat(),
            "recorded_by": credit.recorded_by.username if credit.recorded_by else None}


@blp.route("/projects/<slug>/credits", methods=["GET"])
@blp.response(200)
def list_credits(slug: str):
    """Credited contributions, newest first (200 at most)."""
    project = _project(slug)
    return [credit_json(credit) for credit in services.list_credits(db.session, project)]


@blp.route("/projects/<slug>/credits", methods=["POST"])
@token_required
@blp.arguments(schemas.CreditCreate)
@blp.response(201)
@blp.doc(security=BEARER)
@refuses(403)
def add_credit(body, slug: str):
    """Credit someone (members only) with a contribution of an All
    Contributors kind and a link to the evidence."""
    project = projects.get_project(db.session, slug)
    credit = services.credit(db.session, project, require_api_user(), body["username"],
                             body["kind"], body["evidence_url"], body["note"], body["date"],
                             now=clock.now())
    answer = credit_json(credit)
    db.session.commit()
    return answer


@blp.route("/projects/<slug>/credits/<int(max=2147483647):credit_id>", methods=["DELETE"])
@token_required
@blp.response(204)
@blp.doc(security=BEARER)
@refuses(403)
def remove_credit(slug: str, credit_id: int):
    """Remove a credit: who recorded it, or who it credits."""
    project = _project(slug)
    services.remove_credit(db.session, project, require_api_user(), credit_id)
    db.session.commit()
