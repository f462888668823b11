"""The in-memory rate-limit storage holds under threads: requests that
arrive together neither fail nor slip past a limit."""

import sys
import threading

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from commons.memory_limits import guard_memory_storage

THREADS = 16
ROUNDS = 300


def _together(count: int, work) -> tuple[list, list[BaseException]]:
    """Run *work* in *count* threads released at once: what it returned
    and what it raised."""
    barrier = threading.Barrier(count)
    results: list = []
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as error:  # noqa: BLE001 - the test reports every failure
            failures.append(error)

    threads = [threading.Thread(target=run) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


@pytest.fixture
def eager_thread_switches():
    """Threads switch every microsecond instead of every 5 ms, so a race
    between two lines shows within a few rounds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_hits_arriving_together_neither_fail_nor_pass_the_limit(eager_thread_switches):
    guard_memory_storage()
    storage = MemoryStorage()
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("3 per minute")
    for round_ in range(ROUNDS):
        # Each round starts with the expiry timer finished, as after a quiet
        # spell, so every thread may try to start a new one.
        storage.timer.join()
        key = f"round-{round_}"
        answers, failures = _together(THREADS, lambda: limiter.hit(limit, key))  # noqa: B023
        assert failures == [], failures
        assert answers.count(True) == 3, (round_, answers)


def test_guarding_twice_wraps_once():
    guard_memory_storage()
    once = MemoryStorage.acquire_entry
    guard_memory_storage()
    assert MemoryStorage.acquire_entry is once
