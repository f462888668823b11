"""What the OpenAPI document says each operation can answer besides its
success, so that a client (and the fuzz in tests/api/test_fuzz.py) can rely
on the list: no catch-all "default" answer hides an undocumented status.

Answers that come from the shared layers are added to every operation they
apply to by :class:`SharedAnswers`; answers that come from a use case (403,
409) are declared on its view with :func:`refuses`."""

from http import HTTPStatus

from apispec import BasePlugin
from flask_smorest import Blueprint

# Why each shared answer happens, as the document says it.
SHARED = {
    400: "The request cannot be read: a body that is not JSON, or a NUL character in the "
         "address, a header or the body.",
    401: "The token sent is unknown, expired or revoked (checked on every route, reading "
         "ones too), or this operation needs one and none was sent.",
    404: "Nothing has that identifier.",
    413: "The body is larger than the server accepts.",
    422: "A field is missing or not valid; `errors` names each one.",
}


def _answer(status: int, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


class SharedAnswers(BasePlugin):
    """Adds, to each operation, the errors every view of its shape can give:
    400 and 401 everywhere (commons.guards and commons.api.auth refuse
    before any view runs), 404 where the path names something, 413 and 422
    where a body is read."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            if method == "post" and not (path or "").endswith("/tokens"):
                _document_idempotency(operation)
            responses = operation.setdefault("responses", {})
            statuses = [400, 401]
            if "{" in (path or ""):
                statuses.append(404)
            if "requestBody" in operation:
                statuses += [413, 422]
            for status in statuses:
                responses.setdefault(str(status), _answer(status, SHARED[status]))


def _document_idempotency(operation: dict) -> None:
    """Every POST but creating a token takes an Idempotency-Key
    (commons.api.idempotency), and may answer 400, 409 and 422 for it."""
    operation.setdefault("parameters", []).append({
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "Any string of 1 to 255 visible ASCII characters (a random UUID), new "
                       "for each request. Sent again with the same request within 24 hours, "
                       "it gets the first answer again (marked `Idempotent-Replayed: true`) "
                       "and nothing is done twice.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": "^[!-~]([ -~]*[!-~])?$"}})
    responses = operation.setdefault("responses", {})
    for status, why in ((400, "The Idempotency-Key is not 1 to 255 visible ASCII characters."),
                        (409, "A request with this Idempotency-Key is still being carried "
                              "out (retry after Retry-After seconds), or was carried out and "
                              "its answer lost."),
                        (422, "This Idempotency-Key was sent before with another request.")):
        if str(status) in responses:
            described = responses[str(status)]["description"]
            responses[str(status)]["description"] = f"{described} {why}"
        else:
            responses[str(status)] = _answer(status, why)


def refuses(*statuses: int):
    """Document the errors a view's use case gives (403, 409, 429): for a
    view, next to its @blp.response."""
    return Blueprint.doc(responses={
        str(status): _answer(status, HTTPStatus(status).phrase) for status in statuses})
