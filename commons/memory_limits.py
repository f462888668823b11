"""One lock around the in-memory rate-limit storage of the limits library.

limits 5.8's MemoryStorage is not safe across threads, and gunicorn's
gthread workers serve requests in threads. Two requests can start the same
expiry Timer: the second gets "threads can only be started once", a 500
(seen in CI with forty guesses at once). Its expiry thread can also drop a
key's lock while a request holds it, which lets two requests past a limit
of one. Upstream merged a fix (alisaifee/limits#352) that no release holds
yet; until one does, every MemoryStorage in the process (Flask-Limiter's,
its in-memory fallback, the password counter's) takes each step under one
lock. The steps are dictionary operations of microseconds.
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

from limits.storage import MemoryStorage

_LOCK = threading.RLock()
# Every method that reads or writes the storage's dictionaries, and the two
# the expiry timer runs (name-mangled, as MemoryStorage defines them).
_GUARDED = ("incr", "decr", "get", "get_expiry", "clear", "reset", "acquire_entry",
            "get_moving_window", "acquire_sliding_window_entry", "get_sliding_window",
            "clear_sliding_window", "_MemoryStorage__expire_events",
            "_MemoryStorage__schedule_expiry")


def _under_lock(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)
    guarded.__commons_guarded__ = True  # type: ignore[attr-defined]
    return guarded


def guard_memory_storage() -> None:
    """Wrap MemoryStorage's methods in the lock, once per process."""
    for name in _GUARDED:
        method = getattr(MemoryStorage, name, None)
        if method is None or getattr(method, "__commons_guarded__", False):
            continue
        setattr(MemoryStorage, name, _under_lock(method))
