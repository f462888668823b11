"""Shapes of the pools API's bodies. Amounts are decimal strings, never
floats: read raw and judged by the same rules as the ledger's."""

from marshmallow import EXCLUDE, Schema, fields, validate

from commons.api.schemas import _amount, _optional_text


class PoolCreate(Schema):
    title = fields.String(required=True, metadata={"example": "Workshop hours, December"})
    description = fields.String(load_default="", metadata={"description": "Markdown."})
    kind = fields.String(required=True, validate=validate.OneOf(["resource", "money"]),
                         metadata={"description": "resource (counted in a ledger unit) or "
                                                  "money (in a currency)"})
    unit = _optional_text("For a resource: a ledger unit (hour, kg, m2, ...).")
    currency = _optional_text("For money: an ISO 4217 code.")
    available = _amount("How much is available now.", required=True)
    period = _optional_text("e.g. 2026-12 for a pool offered per month; null for once.")
    steward_project = _optional_text(
        "The slug of a project you are a member of, to steward the pool as that project; "
        "null: you steward it.")
    eligibility = fields.String(load_default="any", validate=validate.OneOf(["any", "listed"]))
    eligible = fields.List(fields.String(), load_default=list, metadata={
        "description": "Slugs of the projects that may request, when eligibility is listed."})
    contested_rule = fields.String(load_default="proportional",
                                   validate=validate.OneOf(["proportional", "proposal"]))


class AvailabilityBody(Schema):
    available = _amount("What is available now.", required=True)
    reason = fields.String(required=True)


class ReasonBody(Schema):
    reason = fields.String(required=True)


class RoundCreate(Schema):
    iterations = fields.Integer(strict=True, load_default=3,
                                validate=validate.Range(min=1, max=10))
    iteration_seconds = fields.Integer(strict=True, load_default=3 * 86400, metadata={
        "description": "Length of each iteration in seconds; never below the shortest "
                       "review window (COMMONS_MIN_REVIEW_WINDOW)."})


class RequestCreate(Schema):
    project = fields.String(required=True, metadata={"description": "The project's slug."})
    quantity = _amount("What the project asks for, in the pool's unit or currency.",
                       required=True)
    unit = _optional_text("The unit (or currency) of quantity; if given, it must be the "
                          "pool's.")
    input_numbers = fields.List(fields.Integer(strict=True), load_default=list, metadata={
        "description": "The project's needs (input numbers) the request would serve."})
    justification = fields.String(load_default="", metadata={"description": "Markdown."})


class WithdrawalBody(Schema):
    class Meta:
        unknown = EXCLUDE


class PoolOut(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    kind = fields.String()
    unit = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    available = fields.String()
    period = fields.String(allow_none=True)
    steward = fields.Dict(metadata={"description": "{\"user\": username} or "
                                                   "{\"project\": slug}"})
    eligibility = fields.String()
    eligible = fields.List(fields.String(), metadata={
        "description": "Slugs of the projects that may request (eligibility listed)."})
    contested_rule = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    rounds = fields.List(fields.Dict(), metadata={
        "description": "Each round's number, status and current iteration."})
    web_url = fields.String()


class IterationOut(Schema):
    iteration = fields.Integer()
    available = fields.String()
    requested = fields.String()
    ratio = fields.String(allow_none=True, metadata={
        "description": "Excess demand: requested / available; null when nothing is "
                       "available."})
    closed_at = fields.DateTime(allow_none=True, metadata={
        "description": "null for the iteration still open (its figures as requests stand)."})
    shares = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Each project's (slug) indicative share under the pool's rule, "
                       "published at the close."})
    note = fields.String()


class RequestOut(Schema):
    project = fields.String()
    iteration = fields.Integer()
    quantity = fields.String()
    withdrawn = fields.Boolean()
    input_numbers = fields.List(fields.Integer())
    justification = fields.String()
    filed_by = fields.String(allow_none=True)
    filed_at = fields.DateTime()


class AllocationOut(Schema):
    project = fields.String()
    quantity = fields.String()
    pledges = fields.List(fields.Dict(), metadata={
        "description": "The pledges written in the project's journal: {input, seq, "
                       "quantity}."})


class RoundOut(Schema):
    pool = fields.Integer()
    number = fields.Integer()
    status = fields.String(metadata={"description": "open, settling, allocated or cancelled"})
    iterations = fields.Integer()
    iteration_seconds = fields.Integer()
    iteration = fields.Integer(metadata={"description": "The current iteration."})
    iteration_closes_at = fields.DateTime(allow_none=True)
    opened_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)
    proposal = fields.String(allow_none=True, metadata={
        "description": "The proposal deciding what is still contested, as its web URL."})
    figures = fields.List(fields.Nested(IterationOut), metadata={
        "description": "Each iteration, oldest first: what its close published, and the open "
                       "one as it stands."})
    allocations = fields.List(fields.Nested(AllocationOut))
    web_url = fields.String()


class RequestsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    iteration = fields.Integer(validate=validate.Range(min=1, max=10), metadata={
        "description": "Only this iteration's requests; all of them if left out."})


class PoolEntryOut(Schema):
    seq = fields.Integer()
    at = fields.String(metadata={"description": "UTC, as hashed"})
    actor = fields.String(allow_none=True)
    action = fields.String()
    data = fields.Dict(metadata={"description": "What the entry says; amounts are strings."})
    prev_hash = fields.String()
    hash = fields.String()


class PoolJournal(Schema):
    pool = fields.Integer()
    entries = fields.List(fields.Nested(PoolEntryOut), metadata={"description": "Newest first."})
