"""The rendering cache: HTML (and parsed diffs) that depend only on what
cannot change (a blob id, two commit ids, a renderer and its version), kept
once for every worker process and, on Redis, for every instance.

Flask-Caching holds it (COMMONS_CACHE_URL): unset, a folder in the instance
folder (``make run`` needs nothing else); ``redis://...`` in production;
``null``, nothing kept (everything is rendered each time). The cache is an
accelerator only: a cache that is down, full or unwritable is logged and
the page rendered as if it were empty."""

import logging
import pickle
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context
from flask_caching import Cache
from flask_caching.backends.nullcache import NullCache

from commons import metrics

log = logging.getLogger(__name__)
EXTENSION = "commons.render_cache"
# On flask.g: (key, what returns the packed value or None, timeout) to write
# after the response.
_PENDING = "render_cache_pending"
T = TypeVar("T")
# The most recent keys (of this process's app) whose finished value was not
# kept after the response; their next view finishes at once.
UNKEPT = "commons.render_cache.unkept"
UNKEPT_REMEMBERED = 1024
_UNKEPT_LOCK = threading.Lock()


def config_for(url: str | None, instance_path: str, max_items: int, timeout: int,
               prefix: str) -> dict[str, Any]:
    """Flask-Caching's configuration for COMMONS_CACHE_URL *url*."""
    common = {"CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_KEY_PREFIX": prefix}
    # None: COMMONS_CACHE_URL=null, which Flask reads as JSON; "" is unset.
    if url is None or url == "null":
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        # A Redis that does not answer at once is treated as down: the page
        # renders rather than waits (socket timeouts, in seconds).
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url,
                "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}}
    folder = url.removeprefix("file://") if url else str(Path(instance_path) / "render-cache")
    # FileSystemCache deletes the oldest files past CACHE_THRESHOLD of them.
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder,
            "CACHE_THRESHOLD": max_items}


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _open(app)
    app.after_request(_store_after_response)


def _open(app: Flask) -> Cache:
    config = config_for(app.config.get("CACHE_URL", ""), app.instance_path,
                        int(app.config["CACHE_MAX_ITEMS"]), int(app.config["CACHE_TIMEOUT"]),
                        app.config["CACHE_KEY_PREFIX"])
    cache = Cache()
    try:
        cache.init_app(app, config=config)
    except Exception:  # noqa: BLE001 (e.g. the folder is a file, or unreadable)
        log.warning("rendering cache %s cannot be opened; pages are rendered each time",
                    config.get("CACHE_DIR") or config["CACHE_TYPE"], exc_info=True)
        cache = Cache()
        cache.init_app(app, config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})
    return cache


def extension() -> Cache:
    """The app's cache; opened on first use in an app that did not set up
    the pages (a database-only command), so what it writes can still
    invalidate what the pages keep (commons.generations)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions[EXTENSION] = _open(app)
    return cache


def get(key: str) -> Any | None:
    """What *key* holds, or None (absent, or the cache is unreachable)."""
    return _lookup(key)[0]


def _lookup(key: str) -> tuple[Any | None, bool]:
    """(what *key* holds or None, whether the cache answered)."""
    try:
        packed = extension().get(key)
    except Exception:  # noqa: BLE001 (any backend's failure: render instead)
        log.warning("rendering cache unreachable on get; rendering anyway", exc_info=True)
        metrics.render_cache.labels("error").inc()
        return None, False
    if packed is not None:
        try:
            value = pickle.loads(zlib.decompress(packed))
        except Exception:  # noqa: BLE001 (a damaged entry is a miss)
            log.warning("rendering cache entry %s unreadable; rendering anyway", key)
        else:
            metrics.render_cache.labels("hit").inc()
            return value, True
    metrics.render_cache.labels("miss").inc()
    return None, True


def put(key: str, value: Any) -> None:
    """Keep *value* under *key* unless it is over COMMONS_CACHE_MAX_ITEM_BYTES
    compressed; failures are logged, never raised."""
    packed = _pack(value)
    if packed is not None:
        _store(key, packed)


def _pack(value: Any) -> bytes | None:
    """*value* as the cache holds it, or None when it is too large to keep."""
    # Compressed: highlighted HTML shrinks about tenfold, and level 1 costs
    # a few milliseconds on the largest page.
    packed = zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)
    if len(packed) > int(current_app.config["CACHE_MAX_ITEM_BYTES"]):
        return None
    return packed


def _store(key: str, packed: bytes, timeout: int | None = None) -> bool:
    """Whether *packed* is now kept under *key*."""
    try:
        stored = extension().set(key, packed, timeout=timeout)
    except Exception:  # noqa: BLE001
        log.warning("rendering cache unreachable on set; page served uncached", exc_info=True)
        metrics.render_cache.labels("error").inc()
        return False
    if stored is False:
        metrics.render_cache.labels("error").inc()
        return False
    return True


def _store_after_response(response: Response) -> Response:
    """Write what this request rendered once its response is sent
    (``call_on_close``: after the server wrote the body). A write is a
    network round trip to Redis, or four file operations in the folder
    cache, one of them replacing its item count: on a busy disk several
    milliseconds that the reader of a first view need not wait for."""
    pending = g.pop(_PENDING, None)
    if pending:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def store() -> None:
            with app.app_context():
                for key, pack, timeout in pending:
                    try:
                        packed = pack()
                    except Exception:  # noqa: BLE001 (the page was served: log, keep nothing)
                        log.exception("rendering for the cache under %s failed", key)
                        continue
                    if packed is None or not _store(key, packed, timeout):
                        _not_kept(key)

        response.call_on_close(store)
    return response


def fetch(key: str, make: Callable[[], T], timeout: int | None = None) -> T:
    """The value kept under *key*, or make() returned and kept there (in a
    request, once its response is sent) for *timeout* seconds
    (COMMONS_CACHE_TIMEOUT when None)."""
    found = get(key)
    if found is not None:
        return found
    value = make()
    # Packed now, so what is kept is what this page shows; written after
    # the response in a request, at once outside one (jobs, commands).
    packed = _pack(value)
    if packed is not None:
        if has_request_context():
            g.setdefault(_PENDING, []).append((key, lambda: packed, timeout))
        else:
            _store(key, packed, timeout)
    return value


def keeps_nothing() -> bool:
    """Whether the cache is the null one (COMMONS_CACHE_URL=null, or one
    that could not be opened): nothing is worth packing for it."""
    return isinstance(extension().cache, NullCache)


def _unkept() -> OrderedDict[str, None]:
    return current_app.extensions.setdefault(UNKEPT, OrderedDict())


def _not_kept(key: str) -> None:
    unkept = _unkept()
    with _UNKEPT_LOCK:
        unkept[key] = None
        unkept.move_to_end(key)
        while len(unkept) > UNKEPT_REMEMBERED:
            unkept.popitem(last=False)


def fetch_finished_later(key: str, make: Callable[[], T], finish: Callable[[T], T]) -> T:
    """The value kept under *key*; else make()'s, returned as it is, and
    finish(value) (the costly part, which a first view can do without) kept
    under *key* once the response is sent, so every later view has it.
    finish() runs at once where no later view would have it: outside a
    request, with a null or unreachable cache, and for a key whose finished
    value could not be kept before (too large, or the write failed), which
    would otherwise be shown unfinished on every view."""
    found, answered = _lookup(key)
    if found is not None:
        return found
    value = make()
    if has_request_context() and answered and key not in _unkept() and not keeps_nothing():
        g.setdefault(_PENDING, []).append((key, lambda: _pack(finish(value)), None))
        return value
    value = finish(value)
    put(key, value)
    return value
