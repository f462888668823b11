"""JSON API under /api/v1, documented by an OpenAPI document generated from
the schemas and views (flask-smorest + apispec)."""

from flask import Flask
from flask_smorest import Api

from commons.api import (
    contributions,
    governance,
    idempotency,
    ledger,
    notifications,
    pools,
    projects,
    recognition,
    schemas,
    search,
    tokens,
)
from commons.api.auth import check_sent_token
from commons.api.docs import SharedAnswers
from commons.extensions import csrf


class CommonsApi(Api):
    # Every answer an operation gives is listed on it (commons.api.docs); a
    # catch-all "default" would let an undocumented status pass unseen.
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = schemas.Error

    # commons.errors answers every error in the contract's {"error": ...}
    # shape; flask-smorest's own handler would answer HTML pages in JSON too.
    def _register_error_handlers(self) -> None:
        pass


def init_api(app: Flask) -> CommonsApi:
    app.config.setdefault("API_TITLE", "commons")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = CommonsApi(app, spec_kwargs={
        "extra_plugins": [SharedAnswers()],
        "info": {"description": "Projects, governance, contributions, the inputs ledger and the pools of commons."},
    })
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer",
                   "description": "A personal access token from /settings or POST /api/v1/tokens."})
    api.spec.components.security_scheme(
        "basic", {"type": "http", "scheme": "basic",
                  "description": "Username and password; only to create a token."})
    blueprints = [tokens.blp, projects.blp, governance.blp, ledger.blp, contributions.blp,
                  notifications.blp, search.blp, pools.blp, recognition.blp]
    for blueprint in blueprints:
        # Bearer tokens and Basic auth, never cookies: nothing to forge.
        csrf.exempt(blueprint)
        # On the app, keyed by blueprint: the blueprints are module-level and
        # shared by every app a process (or the test suite) creates.
        app.before_request_funcs.setdefault(blueprint.name, []).append(check_sent_token)
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    idempotency.init_app(app, blueprints)  # after check_sent_token: keys are per account
    return api
