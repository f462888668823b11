"""Flask extensions, created unbound and attached in ``create_app()``.

Only ``db`` is built when this module is imported. The others (the rate
limiter, logins, CSRF, migrations) are built on first use: a command that
needs only the database (``ledger verify``) then never imports Flask-Limiter,
Flask-Login, Flask-WTF or Alembic, which are a third of its start-up."""

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_login import LoginManager
    from flask_migrate import Migrate
    from flask_wtf.csrf import CSRFProtect

    migrate: Migrate
    login_manager: LoginManager
    csrf: CSRFProtect
    limiter: Limiter


class Base(DeclarativeBase):
    # Named constraints keep Alembic migrations portable between SQLite and
    # PostgreSQL (batch mode needs names to drop or alter a constraint).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class _Database(SQLAlchemy):
    # For the type checker only: services take a Session, and db.session (a
    # scoped_session) stands for the current app context's Session.
    session: Session  # type: ignore[assignment]


db = _Database(model_class=Base)


def _migrate() -> object:
    from flask_migrate import Migrate
    return Migrate()


def _login_manager() -> object:
    from flask_login import LoginManager
    return LoginManager()


def _csrf() -> object:
    from flask_wtf.csrf import CSRFProtect
    return CSRFProtect()


def _limiter() -> object:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    return Limiter(key_func=get_remote_address, default_limits=[])


_BUILT_ON_FIRST_USE: dict[str, Callable[[], object]] = {
    "migrate": _migrate, "login_manager": _login_manager, "csrf": _csrf, "limiter": _limiter}
_building = threading.Lock()


def __getattr__(name: str) -> object:
    # PEP 562: called only for a name the module does not hold yet. Each
    # extension is built once (under a lock) and kept as a module global,
    # so every importer gets the same object.
    build = _BUILT_ON_FIRST_USE.get(name)
    if build is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _building:
        if name not in globals():
            globals()[name] = build()
    return globals()[name]
