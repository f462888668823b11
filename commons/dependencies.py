"""How long commons waits for what it depends on: the database and the
rate-limit storage (Redis). Without bounds a black-holed database holds
every thread of an instance for as long as the kernel keeps a dead TCP
connection (minutes), and the instance stops answering anything.

:func:`configure` turns the plain ``DATABASE_*`` and ``RATELIMIT_STORAGE_TIMEOUT``
settings into the engine and storage options the libraries take; an option
set explicitly in ``SQLALCHEMY_ENGINE_OPTIONS`` or ``RATELIMIT_STORAGE_OPTIONS``
wins over the derived one.
"""

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy.engine import make_url


def configure(config: MutableMapping[str, Any], serving: bool = True) -> None:
    """Fill in the engine options (timeouts for the configured database) and
    the rate-limit storage's socket timeouts. Statements are bounded only
    when *serving* requests: a command or a job may rightly run long."""
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        config["SQLALCHEMY_DATABASE_URI"], config, serving)
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "valkey")):
        timeout = float(config.get("RATELIMIT_STORAGE_TIMEOUT", 2))
        config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": timeout, "socket_timeout": timeout,
            **(config.get("RATELIMIT_STORAGE_OPTIONS") or {})}


def engine_options(uri: str, config: MutableMapping[str, Any],
                   serving: bool = True) -> dict[str, Any]:
    """SQLAlchemy engine options for *uri*, with the timeouts of *config*."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A connection dropped while idle (database restarted, proxy closed it)
    # is noticed before use and replaced: recovery needs no restart.
    options.setdefault("pool_pre_ping", True)
    if uri.startswith("sqlite"):
        # SQLite lets one writer in at a time; wait for it rather than fail
        # when two pushes are recorded at once.
        options["connect_args"] = {"timeout": float(config.get("DATABASE_BUSY_TIMEOUT", 30)),
                                   **options.get("connect_args", {})}
        return options
    options.setdefault("pool_timeout", float(config.get("DATABASE_POOL_TIMEOUT", 10)))
    if uri.startswith("postgresql"):
        derived = postgresql_connect_args(config, serving)
        # connect_args win over the URI's query, so libpq options the URI
        # names (?options=-csearch_path%3D...) are kept in front of ours.
        named = make_url(uri).query.get("options") or ()
        given = " ".join(named) if isinstance(named, tuple) else named
        if given:
            derived["options"] = f"{given} {derived['options']}"
        options["connect_args"] = {**derived, **options.get("connect_args", {})}
    return options


def postgresql_connect_args(config: MutableMapping[str, Any],
                            serving: bool = True) -> dict[str, Any]:
    """libpq parameters that bound every wait on the server: connecting,
    each statement, and data sent on a connection the network has dropped."""
    connect = max(1, round(float(config.get("DATABASE_CONNECT_TIMEOUT", 5))))
    statement_ms = round(float(config.get("DATABASE_STATEMENT_TIMEOUT", 15)) * 1000) \
        if serving else 0  # 0: no limit
    network_ms = round(float(config.get("DATABASE_NETWORK_TIMEOUT", 10)) * 1000)
    return {
        # libpq counts whole seconds, for the whole handshake (TCP and startup).
        "connect_timeout": connect,
        # The server cancels a statement running longer than this.
        "options": f"-c statement_timeout={statement_ms}",
        # A server that vanished without closing (host down, firewall drops
        # packets): sent data unacknowledged for this long ends the
        # connection, and an idle one is probed by keepalives.
        "tcp_user_timeout": network_ms,
        "keepalives": 1,
        "keepalives_idle": max(1, network_ms // 2000),
        "keepalives_interval": max(1, network_ms // 4000),
        "keepalives_count": 3,
    }
