"""Shapes of API bodies. Amounts are decimal strings, never floats."""

from marshmallow import EXCLUDE, Schema, fields, validate

from commons.contributions import rules as contributions_rules
from commons.ledger import rules as ledger_rules


class Error(Schema):
    error = fields.String(required=True, metadata={
        "description": "What went wrong and what to do, for a person to read."})
    field = fields.String(metadata={"description": "The field at fault, when there is one."})
    errors = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Each field at fault and what is wrong with it."})


class TokenCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(
        allow_none=True, load_default=None, validate=validate.OneOf([30, 90, 365]),
        metadata={"description": "30, 90, 365, or null for a token that does not expire."})


class Token(Schema):
    id = fields.Integer()
    name = fields.String()
    hint = fields.String(metadata={"description": "The token's first characters."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewToken(Token):
    token = fields.String(metadata={"description": "The token itself; shown only now."})


class ThresholdBody(Schema):
    amount = fields.String(required=True, metadata={"example": "250.00"})
    currency = fields.String(required=True, validate=validate.Length(equal=3),
                             metadata={"example": "EUR"})


class PolicyBody(Schema):
    admission = fields.String(validate=validate.OneOf(["open", "consent"]))
    push = fields.String(validate=validate.OneOf(["review", "direct"]))
    review_window = fields.Integer(strict=True, metadata={"description": "Seconds."})
    approval_threshold = fields.Nested(ThresholdBody)
    outside = fields.String(validate=validate.OneOf(["accept", "refuse"]), metadata={
        "description": "accept: anyone logged in may propose through refs/for/; "
                       "refuse: only members may"})
    notify_outside_authors = fields.Boolean(metadata={
        "description": "true: proposals mail the affected people who have no account (commit "
                       "authors), so their silence counts only once they were told; a licence "
                       "change always does. Changed by a policy proposal."})


class RecognitionRuleBody(Schema):
    """A version of the value rule: weights per kind of work (decimal text
    from 0 to 100, at most 2 decimals; a kind not named weighs 1)."""

    weights = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict,
                          metadata={"example": {"routine": "1", "care": "1.5", "creative": "1",
                                                "coordination": "1"},
                                    "description": "routine, care, creative, coordination"})
    onerous = fields.Boolean(load_default=False, metadata={
        "description": "true: the worker's own rating of how onerous the work was (1-3) "
                       "multiplies the weight"})


class PolicyChange(PolicyBody):
    """What a policy proposal may change: the policy, who is treasurer, and
    the value rule recognition follows."""

    recognition_rule = fields.Nested(RecognitionRuleBody, metadata={
        "description": "A new version of the project's value rule, applying to work done "
                       "from the day it passes (see /projects/{slug}/recognition/rules)."})

    treasurer_grant = fields.String(metadata={
        "description": "The username of a member to name treasurer (treasurers record "
                       "payouts of expense claims)."})
    treasurer_remove = fields.String(metadata={
        "description": "The username of a treasurer whose role ends."})


class ProjectCreate(Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)
    description = fields.String(load_default="")
    license = fields.String(required=True, metadata={"description": "An open SPDX licence identifier."})
    policy = fields.Nested(PolicyBody, load_default=dict)


class Member(Schema):
    username = fields.String()
    joined_at = fields.DateTime()


class Project(Schema):
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    license = fields.String()
    clone_url = fields.String()
    web_url = fields.String()
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(Member))
    policy = fields.Nested(PolicyBody)


class ProjectQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # links carry tracking parameters; ignore them

    q = fields.String(load_default="", validate=validate.Length(max=200))


class JoinResult(Schema):
    status = fields.String(metadata={"description": "member, or pending until the members consent"})
    proposal = fields.Integer(
        allow_none=True,
        metadata={"description": "The membership proposal deciding a pending request."})


class ProposalCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["decision", "membership", "merge", "input", "license", "policy"]))
    title = fields.String(required=True)
    body = fields.String(load_default="")
    branch = fields.String(metadata={"description": "merge: the branch to merge"})
    username = fields.String(metadata={"description": "membership: who to admit"})
    license = fields.String(metadata={"description": "license: the new SPDX identifier"})
    input = fields.Integer(metadata={"description": "input: the number of the input to approve"})
    policy = fields.Nested(PolicyChange, metadata={
        "description": "policy: the fields to change, or a treasurer named or removed"})


class LinePlace(Schema):
    path = fields.String(required=True, metadata={"description": "The file, as in the diff"})
    side = fields.String(required=True, validate=validate.OneOf(["old", "new"]), metadata={
        "description": "new: a line of the file at the pinned head; old: at the base"})
    line = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class StanceBody(Schema):
    stance = fields.String(required=True, validate=validate.OneOf(["support", "abstain", "object"]))
    reason = fields.String(load_default="")
    revision = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "The revision you read; 409 if the proposal was revised since."})
    lines = fields.List(fields.Nested(LinePlace), load_default=list, metadata={
        "description": "An objection to a merge may cite lines of its diff: each gets a line "
                       "comment carrying the reason (422 for a line outside the diff)."})


class CommentBody(Schema):
    body = fields.String(required=True)
    path = fields.String(metadata={"description": "A line comment: the file (with side, "
                                                  "line and head)"})
    side = fields.String(validate=validate.OneOf(["old", "new"]))
    line = fields.Integer(strict=True, validate=validate.Range(min=1))
    head = fields.String(metadata={"description": "The head you read; 422 if the proposal "
                                                  "pins another one now"})


class CommentOut(Schema):
    id = fields.Integer()
    username = fields.String(allow_none=True)
    body = fields.String()
    created_at = fields.DateTime()
    path = fields.String(allow_none=True)
    side = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    head = fields.String(allow_none=True)
    outdated = fields.Boolean()
    objection = fields.Boolean()
    anchor = fields.String(allow_none=True)


class StanceOut(Schema):
    username = fields.String(allow_none=True, metadata={
        "description": "null for a stance taken without an account (see name)"})
    name = fields.String(metadata={"description": "only on a stance taken without an account"})
    account = fields.Boolean(metadata={"description": "false on a stance taken without an "
                                                      "account, through a notice mail's link"})
    stance = fields.String()
    reason = fields.String()
    revision = fields.Integer()
    stale = fields.Boolean()
    taken_at = fields.DateTime()


class NoticeOut(Schema):
    name = fields.String()
    account = fields.Boolean()
    notified_at = fields.DateTime(allow_none=True)
    undeliverable = fields.String(allow_none=True)
    stance = fields.String(allow_none=True)


class AffectedOut(Schema):
    username = fields.String(allow_none=True)
    name = fields.String()
    reason = fields.String()
    weight = fields.Integer()


class ProposalOut(Schema):
    number = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    author = fields.String(allow_none=True)
    status = fields.String()
    being_carried_out = fields.Boolean(metadata={
        "description": "true while status is still open after closes_at: the decision is "
                       "being carried out by the worker, and status changes in seconds"})
    voting = fields.String()
    revision = fields.Integer()
    opened_at = fields.DateTime()
    closes_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    details = fields.Dict()
    outcome = fields.String()
    result = fields.Dict()
    web_url = fields.String()
    tally = fields.Dict()
    stances = fields.List(fields.Nested(StanceOut))
    affected = fields.List(fields.Nested(AffectedOut))
    affected_complete = fields.Boolean()
    comments = fields.List(fields.Nested(CommentOut))
    notices = fields.List(fields.Nested(NoticeOut), metadata={
        "description": "everyone with standing: when they were told (notified_at), or why "
                       "they could not be (undeliverable), and their stance on this revision"})
    waiting_for_notice = fields.Integer(metadata={
        "description": "notices not sent yet: silence cannot count until they are"})


# ---------------------------------------------------------------- ledger
# Amounts are read as sent (fields.Raw) and judged by the ledger's rules,
# so a JSON float such as 1.5 (or NaN, or 1e400) reaches them as a float
# and is refused with 422 instead of being rounded on the way in.

def _amount(description: str, **kwargs) -> fields.Raw:
    return fields.Raw(metadata={
        "type": "string", "example": "12.50",
        "description": f"{description} A decimal string such as \"12.50\" (an integer is "
                       "accepted too); a JSON float is refused with 422."}, **kwargs)


def _optional_text(description: str) -> fields.String:
    return fields.String(allow_none=True, load_default=None,
                         metadata={"description": description})


class InputCreate(Schema):
    title = fields.String(required=True, metadata={"example": "PLA filament 1.75 mm"})
    kind = fields.String(required=True, metadata={
        "description": "material, equipment, energy, space, service, labour or money",
        "enum": list(ledger_rules.KINDS)})
    quantity = _amount("How much is needed.", required=True)
    unit = fields.String(required=True, metadata={
        "description": "piece, g, kg, t, m, m2, m3, l, kWh, hour, day, month, or a currency "
                       "code (EUR, ...) for money", "example": "kg"})
    unit_cost = _amount("Estimated cost of one unit, in currency; optional.", allow_none=True,
                        load_default=None)
    currency = _optional_text("ISO 4217 code of the unit cost, e.g. EUR.")
    needed_by = _optional_text("YYYY-MM-DD; optional.")
    description = fields.String(load_default="")
    recurs = _optional_text("\"monthly\": the quantity is needed each month from starts (rent, "
                            "hosting); left out or null: needed once.")
    starts = _optional_text("YYYY-MM, the first month of a need that recurs; this month if "
                            "left out.")


class PledgeCreate(Schema):
    quantity = _amount("How much you pledge, in the input's unit.", required=True)
    note = fields.String(load_default="")


class ReceiptCreate(Schema):
    quantity = _amount("How much arrived, in the input's unit.", required=True)
    provider = fields.String(load_default="", metadata={
        "description": "A username, a shop, an organisation; the pledger if left empty and "
                       "pledge is given."})
    evidence_url = _optional_text("A link to a receipt, invoice or photo (https://...).")
    evidence_sha256 = _optional_text(
        "The sha256 of a file uploaded with POST /projects/<slug>/evidence.")
    evidence_name = _optional_text("The evidence file's name, as shown on the page.")
    evidence_type = _optional_text("The evidence file's media type, e.g. image/jpeg.")
    # No load_default: a pledge left out and "pledge": null mean different things.
    pledge = fields.Raw(allow_none=True, metadata={
        "type": "integer", "nullable": True,
        "description": "The seq of the pledge this receipt delivers. Left out: the provider's "
                       "own outstanding pledge to this input, if they made one, is delivered "
                       "(the oldest first), so it stops counting as pledged. null: the receipt "
                       "delivers no pledge."})
    date = _optional_text("YYYY-MM-DD received; today if left out.")


class ConsumptionCreate(Schema):
    quantity = _amount("How much was used, in the input's unit.", required=True)
    purpose = fields.String(required=True)
    commit = _optional_text("The commit id the input went into.")
    proposal = fields.Raw(allow_none=True, load_default=None, metadata={
        "type": "integer", "description": "The number of the proposal it served."})
    date = _optional_text("YYYY-MM-DD used; today if left out.")


class CloseBody(Schema):
    reason = fields.String(required=True)


class CorrectionCreate(Schema):
    reason = fields.String(required=True)
    quantity = _amount("Signed change to the entry's quantity, e.g. \"-1.5\".")
    unit_cost = _amount("Signed change to a need's estimated unit cost.")
    hours = _amount("Signed change to logged hours.")


class WorkCreate(Schema):
    hours = _amount("Hours worked.", required=True)
    category = fields.String(required=True, metadata={
        "description": "routine, care, creative or coordination",
        "enum": list(ledger_rules.WORK_CATEGORIES)})
    description = fields.String(required=True)
    date = _optional_text("YYYY-MM-DD worked; today if left out.")
    onerous = fields.Raw(load_default=None, metadata={
        "type": "integer", "enum": [1, 2, 3], "nullable": True,
        "description": "Your own rating of how onerous the work was: 1 (light), 2 (heavy) "
                       "or 3 (very heavy); leave it out to not rate it."})


class WorkOut(Schema):
    seq = fields.Integer(metadata={"description": "The work entry's seq in the journal."})
    worker = fields.String(allow_none=True)
    date = fields.String()
    period = fields.String(metadata={"description": "The month (YYYY-MM) of the work."})
    hours = fields.String()
    category = fields.String()
    description = fields.String()
    onerous = fields.Integer(allow_none=True, metadata={
        "description": "The worker's rating, 1 to 3, or null."})
    confirmed_by = fields.String(allow_none=True, metadata={
        "description": "The member who confirmed the hours, or null."})
    confirmed_at = fields.String(allow_none=True)
    confirmed_seq = fields.Integer(allow_none=True, metadata={
        "description": "The `work_confirm` entry's seq."})


class WorkQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200),
                           metadata={"description": "How many entries, newest first."})


class WorkList(Schema):
    project = fields.String()
    work = fields.List(fields.Nested(WorkOut))


class JournalQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    before = fields.Integer(validate=validate.Range(min=1, max=2147483647), metadata={
        "description": "Entries with a seq below this one (the cursor of the next page)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class HeadOut(Schema):
    seq = fields.Integer()
    hash = fields.String()


class EntryOut(Schema):
    seq = fields.Integer()
    at = fields.String(metadata={"description": "UTC, as hashed"})
    actor = fields.String(allow_none=True)
    action = fields.String()
    input = fields.Integer(allow_none=True)
    data = fields.Dict(metadata={"description": "What the entry says; amounts are strings."})
    prev_hash = fields.String()
    hash = fields.String(metadata={
        "description": "sha256(prev_hash || canonical JSON of {project, seq, at, actor, "
                       "action, data})"})


class JournalPage(Schema):
    project = fields.String()
    head = fields.Nested(HeadOut)
    entries = fields.List(fields.Nested(EntryOut))
    next = fields.String(allow_none=True, metadata={"description": "The next page, or null."})


class PledgeOut(Schema):
    seq = fields.Integer()
    pledger = fields.String(allow_none=True)
    quantity = fields.String()
    received = fields.String()
    outstanding = fields.String()
    withdrawn = fields.Boolean()
    note = fields.String()


class EstimateOut(Schema):
    amount = fields.String()
    currency = fields.String()


class InputOut(Schema):
    number = fields.Integer()
    seq = fields.Integer(metadata={"description": "The entry that recorded the need."})
    title = fields.String()
    kind = fields.String()
    description = fields.String()
    unit = fields.String()
    needed = fields.String()
    pledged = fields.String(metadata={"description": "Pledged and not yet received."})
    received = fields.String()
    consumed = fields.String()
    still_needed = fields.String()
    status = fields.String(metadata={
        "description": "pending, approved, covered, fulfilled or closed"})
    open = fields.Boolean(metadata={
        "description": "An open need: not closed, and still_needed above zero (pending "
                       "inputs included). The ledger page's totals and the needs board count "
                       "exactly these."})
    approved = fields.Boolean()
    closed = fields.Boolean()
    unit_cost = fields.String(allow_none=True)
    currency = fields.String(allow_none=True)
    estimated_total = fields.Nested(EstimateOut, allow_none=True)
    needed_by = fields.String(allow_none=True)
    recurs = fields.String(allow_none=True, metadata={
        "description": "\"monthly\" for a need that recurs each month, else null. Its "
                       "needed and still_needed run through this month (the months behind "
                       "included), status and open are this month's."})
    starts = fields.String(allow_none=True, metadata={"description": "YYYY-MM, its first month."})
    per_month = fields.String(allow_none=True, metadata={
        "description": "What a recurring need needs each month."})
    covered_through = fields.String(allow_none=True, metadata={
        "description": "YYYY-MM, the last month what was received and pledged covers; null "
                       "while its first month is not covered."})
    months_ahead = fields.Integer(allow_none=True, metadata={
        "description": "Months after this one already covered (negative: months behind)."})
    coverage = fields.String(allow_none=True, metadata={
        "description": "The same in words, as the pages say it."})
    pledges = fields.List(fields.Nested(PledgeOut))
    proposal = fields.Integer(allow_none=True, metadata={
        "description": "The open `input` proposal deciding a pending input."})
    web_url = fields.String()


class InputCreated(InputOut):
    entry = fields.Nested(EntryOut)


class EntryCreated(EntryOut):
    balance = fields.Nested(InputOut, allow_none=True, metadata={
        "description": "The input's balances after the entry (null for work)."})


class WorkConfirmed(EntryOut):
    work = fields.Nested(WorkOut, metadata={"description": "The work entry as it now is."})


class EvidenceOut(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    name = fields.String()
    type = fields.String()


class CreditCreate(Schema):
    username = fields.String(required=True, metadata={"description": "Whose contribution."})
    kind = fields.String(required=True, metadata={
        "description": "An All Contributors kind: design, doc, translation, mentoring, "
                       "research, fundingFinding, eventOrganizing, projectManagement, ...",
        "enum": list(contributions_rules.KINDS)})
    evidence_url = fields.String(required=True, metadata={
        "description": "An http(s) link to the evidence."})
    note = fields.String(load_default="", metadata={"description": "What they did."})
    date = _optional_text("YYYY-MM-DD of the contribution; today if left out.")


class PeriodQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    period = fields.String(load_default="all", validate=validate.OneOf(["all", "90d"]),
                           metadata={"description": "all (the default) or 90d."})


def _cursor() -> fields.String:
    return fields.String(validate=validate.Length(max=2000), metadata={
        "description": "Where the page starts: the opaque cursor of the previous page's "
                       "`next` (also in its `Link: <...>; rel=\"next\"` header)."})


def _page_size(what: str) -> fields.Integer:
    return fields.Integer(load_default=100, validate=validate.Range(min=1, max=500),
                          metadata={"description": f"{what} per page (100 by default)."})


class ContributorsQuery(PeriodQuery):
    cursor = _cursor()
    limit = _page_size("People")


# ---------------------------------------------------------------- funds, claims, payouts

class FundOut(Schema):
    currency = fields.String(metadata={"example": "EUR"})
    received = fields.String(metadata={"description": "Money received (receipts of money)."})
    paid = fields.String(metadata={"description": "Paid out to expense claims."})
    balance = fields.String(metadata={"description": "received - paid; never negative."})


class FundsOut(Schema):
    project = fields.String()
    funds = fields.List(fields.Nested(FundOut))


class PayoutOut(Schema):
    seq = fields.Integer(metadata={"description": "The payout's journal entry."})
    method = fields.String()
    reference = fields.String(allow_none=True)
    date = fields.String(allow_none=True)


class ClaimOut(Schema):
    seq = fields.Integer(metadata={"description": "The claim's journal entry; its number."})
    input = fields.Integer(allow_none=True, metadata={
        "description": "The input an expense is claimed on; none for a distribution's share."})
    share = fields.Integer(metadata={
        "description": "0 for an expense claim; a distribution's share: its place (1, 2...) "
                       "in the distribution entry `seq`."})
    distribution = fields.Integer(allow_none=True, metadata={
        "description": "The distribution entry a share came from."})
    claimant = fields.String(allow_none=True)
    amount = fields.String(metadata={"example": "24.50"})
    currency = fields.String()
    description = fields.String()
    status = fields.String(metadata={"enum": ["pending", "approved", "paid", "refused"],
                                     "description": "pending: the members decide (its claim "
                                                    "proposal); approved: owed; paid; "
                                                    "refused: its proposal did not pass, or "
                                                    "it was withdrawn (never paid)."})
    payout = fields.Nested(PayoutOut, allow_none=True)
    proposal = fields.Integer(allow_none=True, metadata={
        "description": "The open claim proposal deciding a pending claim."})


class ClaimsOut(Schema):
    project = fields.String()
    claims = fields.List(fields.Nested(ClaimOut))
    next = fields.String(allow_none=True, metadata={
        "description": "The next page's absolute URL (also the `Link: <...>; rel=\"next\"` "
                       "header), null on the last page."})


class ClaimsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = _cursor()
    limit = _page_size("Claims")


class ClaimCreate(Schema):
    amount = _amount("What you paid.", required=True)
    currency = fields.String(required=True, metadata={
        "example": "EUR", "description": "The input's currency (never converted)."})
    description = fields.String(load_default="", metadata={
        "description": "What you paid for, where."})
    date = _optional_text("YYYY-MM-DD paid; today if left out.")
    evidence_url = _optional_text("A link to the receipt or invoice (https://...).")
    evidence_sha256 = _optional_text(
        "The sha256 of a file uploaded with POST /projects/<slug>/evidence.")
    evidence_name = _optional_text("The evidence file's name, as shown on the page.")
    evidence_type = _optional_text("The evidence file's media type, e.g. application/pdf.")


class PayoutCreate(Schema):
    method = fields.String(required=True, metadata={
        "example": "bank transfer", "description": "How it was paid."})
    reference = fields.String(load_default="", metadata={
        "description": "The bank's or the receipt's reference, if any."})
    date = _optional_text("YYYY-MM-DD paid; today if left out.")


class DistributionCreate(Schema):
    period = fields.String(required=True, metadata={
        "example": "2026-11", "description": "The month whose confirmed work is shared."})
    amount = _amount("The amount to share, at most what is available.", required=True)
    currency = fields.String(required=True, metadata={"example": "EUR"})
    title = fields.String(load_default="", metadata={
        "description": "The proposal's title; one is written if empty."})
    body = fields.String(load_default="")


class DistributionShareOut(Schema):
    user = fields.String()
    hours = fields.String(metadata={"description": "Confirmed hours in the month."})
    recognition = fields.String(metadata={"description": "Confirmed hours × the rule."})
    amount = fields.String(metadata={"example": "120.00"})
    claim = fields.String(allow_none=True, metadata={
        "description": "The claim it became (\"12.3\": share 3 of entry 12) once passed."})
    status = fields.String(allow_none=True, metadata={"enum": ["approved", "paid"]})


class DistributionOut(Schema):
    proposal = fields.Integer()
    status = fields.String(metadata={"description": "The proposal's status."})
    period = fields.String()
    amount = fields.String()
    currency = fields.String()
    rule_version = fields.Integer()
    total_recognition = fields.String()
    entry = fields.Integer(allow_none=True, metadata={
        "description": "The `distribution` journal entry, once passed."})
    shares = fields.List(fields.Nested(DistributionShareOut))


class DistributionsOut(Schema):
    project = fields.String()
    available = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Per currency, what a new distribution may share."})
    distributions = fields.List(fields.Nested(DistributionOut))


class ClaimCreated(EntryOut):
    claim = fields.Nested(ClaimOut)


# ---------------------------------------------------------------- recognition (issue 20)

class RecognitionQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    period = fields.String(load_default=None, metadata={
        "description": "A month, YYYY-MM; the current month if left out.",
        "example": "2026-03"})
    cursor = _cursor()
    limit = _page_size("People")


class RecognitionRuleOut(Schema):
    version = fields.Integer(metadata={"description": "0 is the default: every weight 1."})
    weights = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "example": {"routine": "1", "care": "1.5", "creative": "1", "coordination": "1"}})
    onerous = fields.Boolean(metadata={
        "description": "Whether the worker's onerous rating (1-3) multiplies the weight."})
    adopted_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, UTC."})
    applies_from = fields.String(allow_none=True, metadata={
        "description": "The first day of work it applies to: the UTC date of its adoption."})
    proposal = fields.Integer(allow_none=True, metadata={
        "description": "The number of the policy proposal that adopted it."})


class RecognitionRulesOut(Schema):
    project = fields.String()
    in_force = fields.Nested(RecognitionRuleOut)
    versions = fields.List(fields.Nested(RecognitionRuleOut), metadata={
        "description": "Every version adopted, newest first."})


class RecognitionLineOut(Schema):
    category = fields.String()
    hours = fields.String(metadata={"description": "Confirmed hours, exact."})
    weight = fields.String()
    onerous = fields.Integer(allow_none=True, metadata={
        "description": "The rating that multiplies, when the rule counts ratings."})
    rule_version = fields.Integer()
    result = fields.String()
    text = fields.String(metadata={"example": "care (rule v1): 4 h × 1.5 = 6"})


class RecognitionPersonOut(Schema):
    username = fields.String(allow_none=True)
    confirmed_hours = fields.String()
    unconfirmed_hours = fields.String(metadata={"description": "Shown apart; never counted."})
    recognition = fields.String(metadata={"description": "The sum of the lines' results."})
    lines = fields.List(fields.Nested(RecognitionLineOut))


class RecognitionOut(Schema):
    project = fields.String()
    period = fields.String(metadata={"example": "2026-03"})
    start = fields.String(metadata={"description": "The first day of the month."})
    end = fields.String(metadata={"description": "The last day of the month."})
    rules = fields.List(fields.Nested(RecognitionRuleOut), metadata={
        "description": "The versions in force on some day of the month, oldest first."})
    people = fields.List(fields.Nested(RecognitionPersonOut), metadata={
        "description": "Most recognition first (then most confirmed hours), a page of them."})
    total = fields.Integer(metadata={"description": "Everyone with hours in the month."})
    next = fields.String(allow_none=True, metadata={
        "description": "The next page's absolute URL (also the `Link: <...>; rel=\"next\"` "
                       "header), null on the last page."})
