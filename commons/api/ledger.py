"""The inputs ledger in the API: inputs and their balances, the journal and
the exports (reads, here), and pledges, receipts, consumption, work and
corrections (the writes, in ledger_writes.py), all on one blueprint from
ledger_blueprint.py. Reads decide what is due first, as the governance API
does."""

from flask import Response, current_app, request, stream_with_context

from commons import clock

# Imported for its routes: they join the one ledger blueprint.
from commons.api import (
    distributions,  # noqa: F401
    ledger_claims,  # noqa: F401
    ledger_work,  # noqa: F401
    ledger_writes,  # noqa: F401
    schemas,
)
from commons.api.docs import refuses
from commons.api.ledger_blueprint import (
    NUMBER,
    blp,
    input_json,
    input_now,
    load_project,
    open_proposals,
)
from commons.extensions import db
from commons.governance.services import Settings
from commons.ledger import exports, services, valueflows
from commons.problems import Invalid
from commons.urls import absolute_url

__all__ = ["blp"]


# ---------------------------------------------------------------- inputs

@blp.route("/projects/<slug>/inputs", methods=["GET"])
@blp.response(200, schemas.InputOut(many=True))
def list_inputs(slug: str):
    """The project's inputs with their balances, oldest first, ?limit at a
    time (100 by default, at most 500) after the input numbered ?after; a
    `Link: <...>; rel="next"` header names the next page. Each input's
    pledges are in GET /inputs/<n>. With ?open=true, only the open needs
    (each input's `open`: not closed, something still needed)."""
    project = load_project(slug)
    limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
    after = request.args.get("after", type=int)
    after = after if after is not None and 0 <= after <= services.MAX_NUMBER else None
    open_only = _flag(request.args.get("open"))
    page = services.list_inputs(db.session, project, after=after, limit=limit + 1,
                                open_only=clock.now().date() if open_only else None)
    proposals = open_proposals(project)
    answer = [input_json(project, need, proposals, with_pledges=False)
              for need in page[:limit]]
    headers = {}
    if len(page) > limit:
        following = absolute_url("api_ledger.list_inputs", slug=project.slug, limit=limit,
                                 after=page[limit - 1].number,
                                 **({"open": "true"} if open_only else {}))
        headers["Link"] = f'<{following}>; rel="next"'
    return answer, 200, headers


def _flag(value: str | None) -> bool:
    if value in (None, "", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise Invalid("open is true or false.", field="open")


@blp.route(f"/projects/<slug>/inputs/{NUMBER}", methods=["GET"])
@blp.response(200, schemas.InputOut)
def get_input(slug: str, number: int):
    """One input with its balances and pledges."""
    project = load_project(slug)
    return input_now(project, number)


# ---------------------------------------------------------------- journal

@blp.route("/projects/<slug>/ledger", methods=["GET"])
@blp.arguments(schemas.JournalQuery, location="query")
@blp.response(200, schemas.JournalPage)
def journal(query, slug: str):
    """The journal, newest first, a page at a time: follow ``next`` (a
    cursor, ?before=SEQ) for older entries."""
    project = load_project(slug)
    head = exports.read_head(db.session, project)
    limit = query["limit"]
    # Nothing newer than the head the page names, whatever lands meanwhile.
    before = min(query.get("before") or head.seq + 1, head.seq + 1)
    entries = services.journal(db.session, project, before=before, limit=limit)
    older = len(entries) == limit and entries[-1].seq > 1
    return {"project": project.slug, "head": head.record(),
            "entries": [exports.entry_of(entry) for entry in entries],
            "next": absolute_url("api_ledger.journal", slug=slug, before=entries[-1].seq,
                                 limit=limit) if older else None}


# ---------------------------------------------------------------- exports

def _export(media_type: str):
    return blp.doc(responses={"200": {
        "description": "Streamed. The head it was cut at is in the Commons-Ledger-Head header "
                       "(\"<seq> <hash>\").",
        "headers": {"Commons-Ledger-Head": {"schema": {"type": "string"}}},
        "content": {media_type: {"schema": {"type": "string"}}}}})


@blp.route("/projects/<slug>/ledger.csv", methods=["GET"])
@_export("text/csv")
def ledger_csv(slug: str):
    """The journal as CSV: seq, at, actor, action, input, quantity, unit,
    payload (the canonical JSON that was hashed), prev_hash, hash."""
    project = load_project(slug)
    head = exports.read_head(db.session, project)
    return _download(exports.ledger_csv(db.session, project, head), "text/csv",
                     f"{project.slug}-ledger.csv", head)


@blp.route("/projects/<slug>/inputs.csv", methods=["GET"])
@_export("text/csv")
@refuses(409)
def inputs_csv(slug: str):
    """Each input with its balances, as of the head named on every row."""
    project = load_project(slug)
    head, inputs = exports.snapshot(db.session, project, clock.now().date())
    return _download(exports.inputs_csv(head, inputs), "text/csv",
                     f"{project.slug}-inputs.csv", head)


@blp.route("/projects/<slug>/ledger.json", methods=["GET"])
@_export("application/json")
@refuses(409)
def ledger_json(slug: str):
    """{"project", "head", "entries" (oldest first), "inputs" (balances as
    of the head), "funds" (per currency) and "claims" (expense claims with
    their payouts)}; amounts are exact decimal strings."""
    project = load_project(slug)
    head, inputs = exports.snapshot(db.session, project, clock.now().date())
    money = exports.money_snapshot(db.session, project, head)
    return _download(exports.ledger_json(db.session, project, head, inputs, money),
                     "application/json", f"{project.slug}-ledger.json", head)


@blp.route("/projects/<slug>/ledger.jsonld", methods=["GET"])
@_export("application/ld+json")
def ledger_jsonld(slug: str):
    """The journal as Valueflows JSON-LD: needs are Intents, pledges
    Commitments that satisfy them, receipts, consumption, work and
    corrections EconomicEvents (fulfills, satisfies, corrects); amounts are
    xsd:decimal."""
    project = load_project(slug)
    head = exports.read_head(db.session, project)
    base_url = Settings.from_config(current_app.config).base_url
    return _download(valueflows.ledger_jsonld(db.session, project, head, base_url),
                     "application/ld+json", f"{project.slug}-ledger.jsonld", head)


def _download(chunks, mimetype: str, filename: str, head: exports.Head) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Commons-Ledger-Head"] = f"{head.seq} {head.hash}"
    return response
