"""Property-based fuzzing of every operation in /api/v1/openapi.json with
schemathesis, in process against the Flask app.

Two properties, for every answer: it is never a 5xx, and its status code is
one the OpenAPI document lists for that operation. The fixtures make a
project with an input, a pledge, a proposal and a credit, and an account
with a token, and most generated cases use their identifiers in the path,
so the fuzz reaches past 404s into the services. It is bounded (a few
examples per operation, derandomized, no example database) so it runs in
about a minute per database and fails the same way on every machine."""

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.conftest import TEST_PASSWORD, basic, bearer

EXAMPLES = 30  # per operation; about a minute for the whole API on one database


def _runs(operation, known: dict):
    """(strategy, examples) pairs: most cases name things that exist, the
    rest keep whatever path was generated, so unknown identifiers are
    fuzzed too; valid and invalid (negative) inputs alike."""
    fixed = {**known["path"], "number": known["proposal"] if "/proposals/" in operation.path
             else known["input"]}
    names = {parameter.name for parameter in operation.path_parameters}
    path = {name: value for name, value in fixed.items() if name in names}
    runs = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        if path:
            runs.append((operation.as_strategy(mode, path_parameters=path), EXAMPLES))
        runs.append((operation.as_strategy(mode), EXAMPLES // 4 if path else EXAMPLES))
    return runs


# Operations that end what the others use: closing the input, withdrawing
# the pledge, leaving the project. They run last, in this order, so the
# others reach past 403s and 409s into their services.
ENDINGS = ("/close", "/withdrawal", "/membership")


def _operations(schema) -> list:
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: next(
        (rank for rank, ending in enumerate(ENDINGS, 1) if op.path.endswith(ending)), 0))


def test_no_operation_answers_5xx_or_an_undocumented_status(api_app, known):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    failures = []
    for operation in _operations(schema):
        if operation.method.upper() == "POST" and operation.path.endswith("/tokens"):
            headers = basic("alice", TEST_PASSWORD)
        else:
            headers = bearer(known["token"])
        for strategy, examples in _runs(operation, known):
            @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
            @given(case=strategy)
            def fuzz(case):  # called at once below, so this iteration's headers
                case.call_and_validate(headers=headers,  # noqa: B023
                                       checks=[not_a_server_error, status_code_conformance])

            try:
                fuzz()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (negative mode)
            except (Exception, BaseExceptionGroup) as error:  # every finding in one report
                failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
