"""Loaded only by the clock-ahead pass of .ci/run (PYTHONPATH points here).

libfaketime moves the wall clock; the monotonic clock stays real
(FAKETIME_DONT_FAKE_MONOTONIC=1), or Python's timed lock waits never end.
Under that setting libfaketime's clock_nanosleep, which time.sleep uses
with an absolute monotonic deadline, fails with EINVAL; select() sleeps
on a relative timeout and is not intercepted."""

import select
import time

_monotonic = time.monotonic


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = _monotonic() + seconds
    while (left := deadline - _monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
