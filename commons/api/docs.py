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
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            statuses = [400, 401]
            if "{" in (path or ""):
                statuses.append(404)
            if "requestBody" in operation:
                statuses += [413, 422]
            for status in statuses:
                responses.setdefault(str(status), _answer(status, SHARED[status]))


def refuses(*statuses: int):
    """Document the errors a view's use case gives (403, 409, 429): for a
    view, next to its @blp.response."""
    return Blueprint.doc(responses={
        str(status): _answer(status, HTTPStatus(status).phrase) for status in statuses})
