"""The inputs ledger in the API: inputs and their balances, pledges,
receipts, consumption, work, corrections, the journal, and the exports.

Amounts go to the services exactly as the JSON had them (the schemas read
them raw), so floats are refused there with the same message as anywhere.
Reads decide what is due first, as the governance API does."""

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Response, current_app, request, stream_with_context
from flask_smorest import Blueprint

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance import rules as governance_rules
from commons.governance.models import Proposal
from commons.governance.services import Settings
from commons.governance.views import decide_due_for
from commons.ledger import evidence, exports, retention, services, valueflows
from commons.ledger.models import Input, LedgerEntry
from commons.problems import Forbidden, Invalid
from commons.projects import services as projects
from commons.projects.models import Project
from commons.text import TextError, clean_text
from commons.urls import absolute_url

blp = Blueprint("api_ledger", __name__,
                description="The inputs ledger: needs, pledges, receipts, consumption, work "
                            "and corrections in a hash-chained journal")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
NUMBER = "<int(max=2147483647):number>"
SEQ = "<int(max=2147483647):seq>"
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _project(slug: str, members: bool = False) -> Project:
    project = projects.get_project(db.session, slug, with_members=members)
    decide_due_for(project)
    return project


# ---------------------------------------------------------------- inputs

@blp.route("/projects/<slug>/inputs", methods=["GET"])
@blp.response(200, schemas.InputOut(many=True))
def list_inputs(slug: str):
    """The project's inputs with their balances, oldest first, ?limit at a
    time (100 by default, at most 500) after the input numbered ?after; a
    `Link: <...>; rel="next"` header names the next page. Each input's
    pledges are in GET /inputs/<n>. With ?open=true, only the open needs
    (each input's `open`: not closed, something still needed)."""
    project = _project(slug)
    limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
    after = request.args.get("after", type=int)
    after = after if after is not None and 0 <= after <= services.MAX_NUMBER else None
    open_only = _flag(request.args.get("open"))
    page = services.list_inputs(db.session, project, after=after, limit=limit + 1,
                                open_only=open_only)
    proposals = _open_proposals(project)
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


@blp.route("/projects/<slug>/inputs", methods=["POST"])
@token_required
@blp.arguments(schemas.InputCreate)
@blp.response(201, schemas.InputCreated)
@blp.doc(security=BEARER)
@refuses(403)
def create_input(body, slug: str):
    """Record a need. Above the project's approval threshold (or priced in
    another currency) it is pending until an `input` proposal passes; the
    answer names that proposal."""
    project = _project(slug, members=True)
    need = services.record_need(db.session, project, require_api_user(),
                                services.NeedForm(**body), clock.now())
    number = need.number
    entry = exports.entry_of(services.get_entry(db.session, project, need.seq))
    db.session.commit()
    return {**_input_now(project, number), "entry": entry}


@blp.route(f"/projects/<slug>/inputs/{NUMBER}", methods=["GET"])
@blp.response(200, schemas.InputOut)
def get_input(slug: str, number: int):
    """One input with its balances and pledges."""
    project = _project(slug)
    return _input_now(project, number)


@blp.route(f"/projects/<slug>/inputs/{NUMBER}/close", methods=["POST"])
@token_required
@blp.arguments(schemas.CloseBody)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def close_input(body, slug: str, number: int):
    """Close a need: it takes no more pledges or receipts."""
    project = _project(slug, members=True)
    services.close_input(db.session, project, require_api_user(), number, body["reason"],
                         clock.now())
    return _created(project, _head_entry(project), number)


# ---------------------------------------------------------------- pledges

@blp.route(f"/projects/<slug>/inputs/{NUMBER}/pledges", methods=["POST"])
@token_required
@blp.arguments(schemas.PledgeCreate)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(409)
def pledge(body, slug: str, number: int):
    """Pledge part or all of what is still needed (anyone with an account)."""
    project = _project(slug)
    row = services.pledge(db.session, project, require_api_user(), number, body["quantity"],
                          body["note"], now=clock.now())
    return _created(project, services.get_entry(db.session, project, row.seq), number)


@blp.route(f"/projects/<slug>/pledges/{SEQ}/withdrawal", methods=["POST"])
@token_required
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def withdraw_pledge(slug: str, seq: int):
    """Withdraw your pledge (what is not delivered yet); an entry records it."""
    project = _project(slug)
    row = services.withdraw_pledge(db.session, project, require_api_user(), seq, clock.now())
    return _created(project, _head_entry(project), row.input.number)


# ---------------------------------------------------------------- receipts, use

@blp.route(f"/projects/<slug>/inputs/{NUMBER}/receipts", methods=["POST"])
@token_required
@blp.arguments(schemas.ReceiptCreate)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def record_receipt(body, slug: str, number: int):
    """Record what arrived, from whom, with evidence: a link, or a file
    uploaded first with POST /projects/<slug>/evidence. Leave `pledge` out
    and a provider's own outstanding pledge to the input is delivered;
    `"pledge": null` delivers none. The input must be approved."""
    project = _project(slug, members=True)
    entry = services.record_receipt(
        db.session, project, require_api_user(), number, body["quantity"], body["provider"],
        received_on=body["date"], evidence_url=body["evidence_url"],
        evidence=_stored_evidence(body),
        pledge_seq=body.get("pledge", services.PROVIDERS_PLEDGE), now=clock.now())
    return _created(project, entry, number)


@blp.route(f"/projects/<slug>/inputs/{NUMBER}/consumptions", methods=["POST"])
@token_required
@blp.arguments(schemas.ConsumptionCreate)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def record_consumption(body, slug: str, number: int):
    """Record what was used and for what (never more than arrived)."""
    project = _project(slug, members=True)
    entry = services.record_consumption(
        db.session, project, require_api_user(), number, body["quantity"], body["purpose"],
        commit=body["commit"], proposal=body["proposal"], used_on=body["date"],
        now=clock.now())
    return _created(project, entry, number)


@blp.route("/projects/<slug>/work", methods=["POST"])
@token_required
@blp.arguments(schemas.WorkCreate)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403)
def log_work(body, slug: str):
    """Log your hours of work (members; at most 24 in a day)."""
    project = _project(slug, members=True)
    work = services.log_work(db.session, project, require_api_user(), body["hours"],
                             body["category"], body["description"], body["date"],
                             now=clock.now(),
                             max_days_back=current_app.config["WORK_MAX_DAYS_BACK"])
    return _created(project, services.get_entry(db.session, project, work.seq), None)


@blp.route(f"/projects/<slug>/ledger/{SEQ}/corrections", methods=["POST"])
@token_required
@blp.arguments(schemas.CorrectionCreate)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def correct(body, slug: str, seq: int):
    """Correct entry SEQ with signed deltas and a reason: quantity (needs,
    pledges, receipts, consumption), unit_cost (needs), hours (work)."""
    project = _project(slug, members=True)
    deltas = {key: body[key] for key in ("quantity", "unit_cost", "hours") if key in body}
    entry = services.correct(db.session, project, require_api_user(), seq, deltas,
                             body["reason"], clock.now())
    return _created(project, entry, services.entry_data(entry).get("input"))


# ---------------------------------------------------------------- evidence

@blp.route("/projects/<slug>/evidence", methods=["POST"])
@token_required
@blp.response(201, schemas.EvidenceOut)
@blp.doc(security=BEARER, parameters=[
    {"in": "query", "name": "name", "schema": {"type": "string"},
     "description": "The file's name, e.g. receipt.jpg."}],
    requestBody={"required": True, "description": "The file's bytes, as the body (not a "
                 "form); its Content-Type is kept.",
                 "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                     "format": "binary"}}}})
@refuses(403)
def upload_evidence(slug: str):
    """Store an evidence file (members), content-addressed by its sha256; at
    most EVIDENCE_MAX_BYTES, and at most EVIDENCE_QUOTA_BYTES per member in
    any EVIDENCE_QUOTA_WINDOW (422 past either). Pass the sha256 to a receipt
    as evidence_sha256; a file no receipt names is removed after
    EVIDENCE_GRACE seconds."""
    project = _project(slug, members=True)
    user = require_api_user()
    if not project.is_member(user):
        raise Forbidden(f"Members of {project.name} upload evidence. Join the project first.")
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    if request.mimetype in _FORM_TYPES:
        raise Invalid("Send the file's bytes as the request body with its own Content-Type "
                      "(e.g. image/jpeg), not as a form.", field="evidence_file")
    if request.content_length is not None and request.content_length > limit:
        raise Invalid(evidence.too_large(limit), field="evidence_file")
    name, media_type = _evidence_label(request.args.get("name"), request.mimetype)
    # The app refuses bodies over MAX_CONTENT_LENGTH; evidence has its own
    # limit, which store() enforces while it reads (chunked bodies too).
    request.max_content_length = limit + 1
    staged = evidence.stage(request.stream, _evidence_dir(), limit)
    try:
        retention.record_upload(db.session, project, user, staged.sha256, staged.size,
                                quota=retention.Quota.from_config(current_app.config),
                                now=clock.now())
        staged.keep()
    except BaseException:
        staged.drop()
        raise
    db.session.commit()
    return {"sha256": staged.sha256, "size": staged.size, "name": name, "type": media_type}


def _evidence_dir() -> Path:
    return Path(current_app.config["EVIDENCE_DIR"])


def _evidence_label(name: object, media_type: object) -> tuple[str, str]:
    try:
        name = clean_text(None if name is None else str(name), label="The file name",
                          max_length=200, required=False) or "evidence"
    except TextError as error:
        raise Invalid(str(error), field="evidence_name") from None
    media_type = str(media_type or "").strip().lower() or "application/octet-stream"
    if not _MEDIA_TYPE.fullmatch(media_type):
        raise Invalid("The evidence type is a media type such as image/jpeg or "
                      "application/pdf.", field="evidence_type")
    return name, media_type


def _stored_evidence(body: dict) -> services.Evidence | None:
    sha256 = (body.get("evidence_sha256") or "").strip().lower()
    if not sha256:
        return None
    path = evidence.path_for(_evidence_dir(), sha256)
    if path is None or not path.is_file():
        raise Invalid("No evidence file has that sha256. Upload it first with POST "
                      "/api/v1/projects/<slug>/evidence and pass the sha256 it answers.",
                      field="evidence_sha256")
    name, media_type = _evidence_label(body.get("evidence_name"), body.get("evidence_type"))
    return services.Evidence(sha256, path.stat().st_size, name, media_type)


# ---------------------------------------------------------------- journal

@blp.route("/projects/<slug>/ledger", methods=["GET"])
@blp.arguments(schemas.JournalQuery, location="query")
@blp.response(200, schemas.JournalPage)
def journal(query, slug: str):
    """The journal, newest first, a page at a time: follow ``next`` (a
    cursor, ?before=SEQ) for older entries."""
    project = _project(slug)
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
    project = _project(slug)
    head = exports.read_head(db.session, project)
    return _download(exports.ledger_csv(db.session, project, head), "text/csv",
                     f"{project.slug}-ledger.csv", head)


@blp.route("/projects/<slug>/inputs.csv", methods=["GET"])
@_export("text/csv")
@refuses(409)
def inputs_csv(slug: str):
    """Each input with its balances, as of the head named on every row."""
    project = _project(slug)
    head, inputs = exports.snapshot(db.session, project)
    return _download(exports.inputs_csv(head, inputs), "text/csv",
                     f"{project.slug}-inputs.csv", head)


@blp.route("/projects/<slug>/ledger.json", methods=["GET"])
@_export("application/json")
@refuses(409)
def ledger_json(slug: str):
    """{"project", "head", "entries" (oldest first), "inputs" (balances as
    of the head)}."""
    project = _project(slug)
    head, inputs = exports.snapshot(db.session, project)
    return _download(exports.ledger_json(db.session, project, head, inputs),
                     "application/json", f"{project.slug}-ledger.json", head)


@blp.route("/projects/<slug>/ledger.jsonld", methods=["GET"])
@_export("application/ld+json")
def ledger_jsonld(slug: str):
    """The journal as Valueflows JSON-LD: needs are Intents, pledges
    Commitments that satisfy them, receipts, consumption, work and
    corrections EconomicEvents (fulfills, satisfies, corrects); amounts are
    xsd:decimal."""
    project = _project(slug)
    head = exports.read_head(db.session, project)
    base_url = Settings.from_config(current_app.config).base_url
    return _download(valueflows.ledger_jsonld(db.session, project, head, base_url),
                     "application/ld+json", f"{project.slug}-ledger.jsonld", head)


def _download(chunks, mimetype: str, filename: str, head: exports.Head) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Commons-Ledger-Head"] = f"{head.seq} {head.hash}"
    return response


# ---------------------------------------------------------------- answers

def _open_proposals(project: Project) -> dict[int, int]:
    """Input number -> the open (or blocked) `input` proposal deciding it."""
    found: dict[int, int] = {}
    for number, details in db.session.execute(
            sa.select(Proposal.number, Proposal.details).where(
                Proposal.project_id == project.id, Proposal.kind == "input",
                Proposal.status.in_([governance_rules.OPEN, governance_rules.BLOCKED]))
            .order_by(Proposal.number)):
        if isinstance(details, dict) and isinstance(details.get("input"), int):
            found.setdefault(details["input"], number)
    return found


def input_json(project: Project, need: Input, proposals: dict[int, int],
               with_pledges: bool = True) -> dict:
    return {**exports.input_record(need, with_pledges=with_pledges), "proposal": proposals.get(need.number),
            "web_url": absolute_url("ledger.input", slug=project.slug, number=need.number)}


def _input_now(project: Project, number: int) -> dict:
    return input_json(project, services.get_input(db.session, project, number),
                      _open_proposals(project))


def _head_entry(project: Project) -> LedgerEntry:
    """The entry just appended: this transaction holds the head."""
    seq, _ = services.head(db.session, project)
    return services.get_entry(db.session, project, seq)


def _created(project: Project, entry: LedgerEntry, number: int | None) -> dict:
    answer = exports.entry_of(entry)
    db.session.commit()
    return {**answer, "balance": _input_now(project, number) if number is not None else None}
