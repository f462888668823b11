"""Shapes of API bodies. Amounts are decimal strings, never floats."""

from marshmallow import EXCLUDE, Schema, fields, validate


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
    policy = fields.Nested(PolicyBody, metadata={"description": "policy: the fields to change"})


class StanceBody(Schema):
    stance = fields.String(required=True, validate=validate.OneOf(["support", "abstain", "object"]))
    reason = fields.String(load_default="")
    revision = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "The revision you read; 409 if the proposal was revised since."})


class StanceOut(Schema):
    username = fields.String()
    stance = fields.String()
    reason = fields.String()
    revision = fields.Integer()
    stale = fields.Boolean()
    taken_at = fields.DateTime()


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
