"""The ledger API's writes: needs and closing them, pledges and their
withdrawal, receipts with evidence (and uploading it), consumption, work and
corrections. Each answers the entry it appended and the input's balance.

Amounts go to the services exactly as the JSON had them (the schemas read
them raw), so floats are refused there with the same message as anywhere."""

import re
from pathlib import Path

from flask import current_app, request

from commons import clock
from commons.api import schemas
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.api.ledger_blueprint import BEARER, NUMBER, SEQ, blp, input_now, load_project
from commons.extensions import db
from commons.ledger import evidence, exports, retention, services
from commons.ledger.models import LedgerEntry
from commons.problems import Forbidden, Invalid
from commons.projects.models import Project
from commons.text import TextError, clean_text

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# ---------------------------------------------------------------- inputs

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
    project = load_project(slug, members=True)
    need = services.record_need(db.session, project, require_api_user(),
                                services.NeedForm(**body), clock.now())
    number = need.number
    entry = exports.entry_of(services.get_entry(db.session, project, need.seq))
    db.session.commit()
    return {**input_now(project, number), "entry": entry}


@blp.route(f"/projects/<slug>/inputs/{NUMBER}/close", methods=["POST"])
@token_required
@blp.arguments(schemas.CloseBody)
@blp.response(201, schemas.EntryCreated)
@blp.doc(security=BEARER)
@refuses(403, 409)
def close_input(body, slug: str, number: int):
    """Close a need: it takes no more pledges or receipts."""
    project = load_project(slug, members=True)
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
    project = load_project(slug)
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
    project = load_project(slug)
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
    project = load_project(slug, members=True)
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
    project = load_project(slug, members=True)
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
    """Log your hours of work (members; at most 24 in a day), optionally
    rating how onerous it was (`onerous`, 1 to 3)."""
    project = load_project(slug, members=True)
    work = services.log_work(db.session, project, require_api_user(), body["hours"],
                             body["category"], body["description"], body["date"],
                             now=clock.now(),
                             max_days_back=current_app.config["WORK_MAX_DAYS_BACK"],
                             onerous=body["onerous"])
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
    project = load_project(slug, members=True)
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
    project = load_project(slug, members=True)
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


# ---------------------------------------------------------------- answers

def _head_entry(project: Project) -> LedgerEntry:
    """The entry just appended: this transaction holds the head."""
    seq, _ = services.head(db.session, project)
    return services.get_entry(db.session, project, seq)


def _created(project: Project, entry: LedgerEntry, number: int | None) -> dict:
    answer = exports.entry_of(entry)
    db.session.commit()
    return {**answer, "balance": input_now(project, number) if number is not None else None}
