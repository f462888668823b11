"""The caller's notifications in the API: what /inbox shows (proposals
waiting for their stance, then notifications newest first, a page at a
time), and marking them read."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from commons import clock
from commons.api.auth import require_api_user, token_required
from commons.api.docs import refuses
from commons.extensions import db
from commons.governance import services as governance
from commons.notifications import rules, services
from commons.notifications.models import Notification
from commons.problems import Invalid
from commons.urls import absolute_url, base_url

blp = Blueprint("api_notifications", __name__,
                description="The caller's notifications and what waits for their stance")

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ID = fields.Integer(validate=validate.Range(min=1, max=2147483647))


class NotificationsQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    before = fields.Integer(validate=validate.Range(min=1, max=2147483647), metadata={
        "description": "Notifications with an id below this one (the cursor of the next page)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    unread = fields.Boolean(metadata={"description": "true: unread only; false: read only."})


class NotificationOut(Schema):
    id = fields.Integer()
    event = fields.String(metadata={"enum": list(rules.EVENTS)})
    project = fields.String(metadata={"description": "The project's slug."})
    proposal = fields.Integer(allow_none=True, metadata={"description": "Its number."})
    text = fields.String()
    url = fields.String(metadata={"description": "Where it points, absolute."})
    channel = fields.String(metadata={
        "enum": list(rules.CHANNELS),
        "description": "How it reaches the person: its own mail, the daily digest, or the "
                       "inbox alone."})
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)


class WaitingOut(Schema):
    project = fields.String()
    number = fields.Integer()
    title = fields.String()
    kind = fields.String()
    closes_at = fields.DateTime()
    time_left = fields.String(metadata={"description": "As the inbox says it: \"5 h 20 min left\"."})
    url = fields.String()


class NotificationsPage(Schema):
    unread = fields.Integer(metadata={"description": "How many of the caller's are unread."})
    waiting = fields.List(fields.Nested(WaitingOut), metadata={
        "description": "Open proposals where the caller has standing and no stance on the "
                       "current revision, closing first (on the first page only)."})
    notifications = fields.List(fields.Nested(NotificationOut), metadata={
        "description": "Newest first."})
    next = fields.String(allow_none=True, metadata={"description": "The next page, or null."})


class ReadBody(Schema):
    class Meta:
        unknown = EXCLUDE

    ids = fields.List(ID, validate=validate.Length(max=500), metadata={
        "description": "The notifications to mark read."})
    all = fields.Boolean(load_default=False, metadata={
        "description": "true: mark every unread notification read (up to `up_to`, if sent)."})
    up_to = ID


class ReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


def notification_json(notification: Notification) -> dict:
    return {"id": notification.id, "event": notification.event,
            "project": notification.project.slug,
            "proposal": notification.proposal.number if notification.proposal else None, "text": notification.text,
            "url": _absolute(notification.url), "channel": notification.channel,
            "created_at": notification.created_at, "delivered_at": notification.delivered_at,
            "read_at": notification.read_at}


def _absolute(path: str) -> str:
    return base_url(current_app.config) + path


@blp.route("/notifications", methods=["GET"])
@token_required
@blp.arguments(NotificationsQuery, location="query")
@blp.response(200, NotificationsPage)
@blp.doc(security=BEARER)
def list_notifications(query):
    """What /inbox shows the caller: on the first page the proposals waiting
    for their stance, then their notifications newest first, ?limit at a
    time; follow `next` (also a `Link: <...>; rel="next"` header) for older."""
    user = require_api_user()
    now = clock.now()
    limit = query["limit"]
    page = services.listing(db.session, user, unread=query.get("unread"),
                            before=query.get("before"), limit=limit + 1)
    following = None
    if len(page) > limit:
        extra = {"unread": "true" if query["unread"] else "false"} if "unread" in query else {}
        following = absolute_url("api_notifications.list_notifications",
                                 before=page[limit - 1].id, limit=limit, **extra)
    waiting = [] if query.get("before") else [
        {"project": p.project.slug, "number": p.number, "title": p.title, "kind": p.kind,
         "closes_at": p.closes_at, "time_left": rules.time_left(p.closes_at, now),
         "url": _absolute(f"/projects/{p.project.slug}/proposals/{p.number}")}
        for p in governance.waiting_for_stance(db.session, user, now)]
    body = {"unread": services.unread_count(db.session, user.id), "waiting": waiting,
            "notifications": [notification_json(n) for n in page[:limit]], "next": following}
    return body, 200, ({"Link": f'<{following}>; rel="next"'} if following else {})


@blp.route("/notifications/read", methods=["POST"])
@token_required
@blp.arguments(ReadBody)
@blp.response(200, ReadOut)
@blp.doc(security=BEARER)
@refuses(404)
def mark_read(body):
    """Mark the notifications `ids` read, or with `"all": true` every unread
    one (up to the id `up_to`, so what arrived since the caller looked
    stays unread). Ids that are not the caller's are 404, and nothing is
    marked."""
    user = require_api_user()
    now = clock.now()
    if body["all"]:
        marked = services.mark_all_read(db.session, user, now, body.get("up_to"))
    elif body.get("ids"):
        marked = 0
        for notification_id in sorted(set(body["ids"])):
            found = db.session.get(Notification, notification_id)
            was_unread = found is not None and found.read_at is None
            services.mark_read(db.session, user, notification_id, now)  # 404: not theirs
            marked += was_unread
    else:
        raise Invalid("Send \"ids\": [...] or \"all\": true.", field="ids")
    db.session.commit()
    return {"marked": marked, "unread": services.unread_count(db.session, user.id)}


@blp.route("/notifications/<int(max=2147483647):notification_id>/read", methods=["POST"])
@token_required
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER)
def mark_one_read(notification_id: int):
    """Mark one of the caller's notifications read (again: no change)."""
    user = require_api_user()
    services.mark_read(db.session, user, notification_id, clock.now())
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    assert notification is not None
    return notification_json(notification)
