"""Errors that services raise for people to read. Views turn them into
form errors or JSON answers; the message always says what to do."""


class Problem(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class Invalid(Problem):
    status = 422


class Conflict(Problem):
    status = 409


class Unauthorized(Problem):
    status = 401


class Forbidden(Problem):
    status = 403


class NotFound(Problem):
    status = 404
