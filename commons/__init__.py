"""commons: a web platform for commons-based peer production."""

import os
import secrets
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup
from werkzeug.middleware.proxy_fix import ProxyFix

from commons import dependencies, generations
from commons.extensions import db

ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The configuration cannot run; the message says what to set."""


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: ``config.py``, then ``COMMONS_*`` environment
    variables, then *overrides* (used by tests)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_pyfile(str(ROOT / "config.py"))
    app.config.from_prefixed_env("COMMONS")
    if overrides:
        app.config.update(overrides)
    _fill_defaults(app)
    if proxy := app.config.get("PROXY_FIX"):
        # Behind nginx or Caddy: trust X-Forwarded-* for that many hops, so
        # rate limits see the client and URLs carry the public host and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, **proxy)  # type: ignore[method-assign]

    db.init_app(app)
    generations.connect()  # every app: a command's writes, too, invalidate kept figures
    from commons.git import catfile

    catfile.configure(int(app.config["GIT_READERS"]), float(app.config["GIT_READER_IDLE"]))
    context = click.get_current_context(silent=True)
    if context is not None and isinstance(context.command, FlaskGroup):
        # Loaded by `flask` to find one of the app's commands: the rest is
        # built when that command turns out to need it (_CommandsOnDemand).
        app.cli = _CommandsOnDemand(app)
    else:
        _complete(app)
    return app


# Commands that need the database and the configuration only: run from the
# command line they get an app without pages, API, mail or jobs, whose
# imports are most of a command's start-up (`ledger verify --since-last`
# checks 10,000 entries in a tenth of a second; the whole app takes 2 s
# of CPU to build). Name: (module, attribute).
DATABASE_ONLY_COMMANDS = {"ledger": ("commons.ledger.cli", "ledger")}


class _CommandsOnDemand(AppGroup):
    """``app.cli`` of an app that ``flask`` loaded to run one of its
    commands: a database-only command is imported alone; any other command,
    or a list of them (``--help``), first completes the app exactly as
    ``create_app`` does for the web, so it runs as it always did."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app.name)
        self._app = app

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in DATABASE_ONLY_COMMANDS:
                module, attribute = DATABASE_ONLY_COMMANDS[cmd_name]
                self.add_command(getattr(import_module(module), attribute), cmd_name)
            else:
                _complete(self._app)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _complete(self._app)
        return super().list_commands(ctx)


def _complete(app: Flask) -> None:
    """Everything but the configuration and the database: extensions, jobs,
    mail, pages, API, commands, operations and the domains' reactions.
    Once per app."""
    if app.extensions.get("commons.complete"):
        return
    app.extensions["commons.complete"] = True
    from commons import guards, mail, render_cache
    from commons.accounts import attempts
    from commons.extensions import csrf, limiter, login_manager, migrate
    from commons.memory_limits import guard_memory_storage

    # Tables no blueprint imports yet must be in the metadata migrations compare.
    from commons.recognition import models as _recognition_models  # noqa: F401
    from commons.search import schema as search_schema

    guard_memory_storage()  # before any limiter counts in memory
    guards.init_app(app)  # before CSRFProtect: unreadable bodies say so
    # Search's FTS tables and tsvector columns are not in the models
    # (commons.search.schema): autogenerate leaves them alone.
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     include_name=search_schema.include_name)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    attempts.init_app(app)
    _init_jobs(app)
    mail.init_app(app)
    render_cache.init_app(app)

    from commons import errors, web
    from commons.accounts import cli as accounts_cli
    from commons.accounts.views import bp as accounts_bp
    from commons.api import init_api
    from commons.contributions import cli as contributions_cli
    from commons.contributions import views as contributions_views
    from commons.demo import cli as demo_cli
    from commons.git import cli as git_cli
    from commons.git import pages as browse
    from commons.git import smart_http as git_views
    from commons.governance import cli as governance_cli
    from commons.governance import line_comment_pages  # noqa: F401 (routes on governance's bp)
    from commons.governance import views as governance_views
    from commons.jobs import cli as jobs_cli
    from commons.jobs import pages as jobs_pages
    from commons.ledger import cli as ledger_cli
    from commons.ledger import views as ledger_views
    from commons.mail import cli as mail_cli
    from commons.notifications import views as notifications_views
    from commons.pools import cli as pools_cli
    from commons.pools import views as pool_pages
    from commons.projects.views import bp as projects_bp
    from commons.recognition import distribution_pages
    from commons.recognition import views as recognition_views
    from commons.rotas import views as rota_pages
    from commons.search import bp as search_bp
    from commons.search import views as search_views  # noqa: F401 (routes on search's bp)
    from commons.webhooks import views as webhooks_views

    app.register_blueprint(accounts_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(git_views.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(governance_views.bp)
    app.register_blueprint(ledger_views.bp)
    app.register_blueprint(contributions_views.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(jobs_pages.bp)
    app.register_blueprint(notifications_views.bp)
    app.register_blueprint(webhooks_views.bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(pool_pages.bp)
    app.register_blueprint(rota_pages.bp)
    app.register_blueprint(recognition_views.bp)
    app.register_blueprint(distribution_pages.bp)
    init_api(app)
    errors.init_app(app)
    _init_operations(app)
    app.cli.add_command(accounts_cli.users)
    app.cli.add_command(governance_cli.governance)
    app.cli.add_command(ledger_cli.ledger)
    app.cli.add_command(contributions_cli.contributions)
    app.cli.add_command(demo_cli.demo)
    app.cli.add_command(git_cli.git)
    app.cli.add_command(jobs_cli.worker)
    app.cli.add_command(jobs_cli.jobs)
    app.cli.add_command(mail_cli.group)
    app.cli.add_command(pools_cli.pools)
    _connect_reactions()


def _init_jobs(app: Flask) -> None:
    """Each domain's jobs (its jobs.py declares them), bound to the queue."""
    from commons import jobs
    from commons.api import jobs as api_jobs  # noqa: F401 (declares jobs)
    from commons.contributions import jobs as contributions_jobs  # noqa: F401
    from commons.git import jobs as git_jobs  # noqa: F401
    from commons.governance import jobs as governance_jobs  # noqa: F401
    from commons.mail import jobs as mail_jobs  # noqa: F401
    from commons.notifications import jobs as notifications_jobs  # noqa: F401
    from commons.pools import jobs as pools_jobs  # noqa: F401
    from commons.webhooks import jobs as webhooks_jobs  # noqa: F401

    jobs.init_app(app)


def _init_operations(app: Flask) -> None:
    """/healthz, /readyz, /metrics and request ids (README, "In production")."""
    from commons import health, logs, metrics

    health.init_app(app)
    metrics.init_app(app)
    logs.init_app(app)  # last: its id is set before anything else runs


def _connect_reactions() -> None:
    """Each domain's receivers of the others' signals (commons/signals.py).
    Connecting again, as each new app does, keeps one connection each."""
    from commons.contributions import reactions as contributions
    from commons.git import reactions as git
    from commons.governance import reactions as governance
    from commons.notifications import reactions as notifications
    from commons.webhooks import reactions as webhooks

    git.connect_reactions()  # first: the commits are indexed before others read them
    contributions.connect_reactions()
    governance.connect_reactions()
    notifications.connect_reactions()
    webhooks.connect_reactions()


def _fill_defaults(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        # A command such as `users create` signs no session; only serving
        # does (gunicorn, or `flask run`).
        context = click.get_current_context(silent=True)
        from_command_line = context is not None and context.info_name != "run"
        if not (app.debug or app.testing or from_command_line):
            raise ConfigurationError(
                "COMMONS_SECRET_KEY is not set. In production set it to a long "
                "random value that stays the same across restarts, e.g. "
                "COMMONS_SECRET_KEY=$(python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'); for development set "
                "COMMONS_DEBUG=1 to get a random key per start."
            )
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        database = Path(app.instance_path) / "commons.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    # Timeouts for the database and the rate-limit storage (SQLite's busy
    # timeout among them).
    # Commands and workers may run long statements (a reindex, a full
    # verify); only what serves requests has its statements bounded.
    context = click.get_current_context(silent=True)
    dependencies.configure(app.config, serving=context is None or context.info_name == "run")
    app.config["EVIDENCE_DIR"] = str(
        Path(app.config.get("EVIDENCE_DIR") or Path(app.instance_path) / "evidence").resolve()
    )
    app.config["REPOS_DIR"] = str(
        Path(app.config.get("REPOS_DIR") or ROOT / "repos").resolve()
    )
    minimum = int(app.config["MIN_REVIEW_WINDOW"])
    if int(app.config["DEFAULT_REVIEW_WINDOW"]) < minimum:
        raise ConfigurationError(
            f"COMMONS_DEFAULT_REVIEW_WINDOW must be at least "
            f"COMMONS_MIN_REVIEW_WINDOW ({minimum} seconds)."
        )
