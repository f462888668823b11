"""Jobs as each domain declares them, before any app or queue exists."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import crontab

Every = crontab


@dataclass(frozen=True)
class JobSpec:
    """A job: its stable name (what the queue stores), the function, and how
    it is retried. *periodic*, a huey ``crontab``, runs it on a schedule."""

    name: str
    function: Callable[..., Any]
    retries: int | None = None  # None: COMMONS_QUEUE_RETRIES
    periodic: Callable[..., bool] | None = None
    at_start: bool = False  # also enqueued (without arguments) when a worker starts


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, retries: int | None = None,
        periodic: Callable[..., bool] | None = None,
        at_start: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare *function* as the job *name* ("domain.what"). It takes keyword
    arguments of plain values (ids, strings) and runs in an app context."""

    def declare(function: Callable[..., Any]) -> Callable[..., Any]:
        known = JOBS.get(name)
        if known is not None and known.function is not function:
            raise ValueError(f"two jobs are named {name!r}")
        JOBS[name] = JobSpec(name, function, retries, periodic, at_start)
        return function

    return declare
