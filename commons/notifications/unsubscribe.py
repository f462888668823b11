"""Unsubscribe links: each mail names the person and the kind of mail
(an event, or "digest"), signed with the app's secret, so one click turns
that kind off for that person and nothing else; a forged or altered link
is refused. They do not expire: a mail read a year later still works."""

from itsdangerous import BadSignature, URLSafeSerializer

from commons.notifications import rules

SALT = "commons.notifications.unsubscribe"


def make_token(secret: str, user_id: int, kind: str) -> str:
    """The signed token for turning *kind* off for *user_id*."""
    return URLSafeSerializer(secret, salt=SALT).dumps([user_id, kind])


def read_token(secret: str, token: str) -> tuple[int, str] | None:
    """(user id, kind) that *token* signs, or None when it is not one of
    ours (forged, altered, or naming no kind of mail)."""
    try:
        value = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or value[1] not in (*rules.EVENTS, rules.DIGEST)):
        return None
    return value[0], value[1]
