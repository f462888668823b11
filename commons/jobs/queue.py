"""The app's queue: which huey storage COMMONS_QUEUE_URL names, each
declared job bound to it, and how jobs are put on it."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from huey.api import Task, TaskWrapper
from huey.signals import SIGNAL_ERROR
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from commons import metrics
from commons.extensions import db
from commons.jobs.registry import JOBS, JobSpec

log = logging.getLogger(__name__)
IMMEDIATE = "immediate"


class QueueConfigurationError(RuntimeError):
    """COMMONS_QUEUE_URL names nothing huey can use; the message says what."""


@dataclass
class Queue:
    """A huey instance and the app's jobs bound to it, by name."""

    huey: Huey
    tasks: dict[str, TaskWrapper]
    url: str

    @property
    def immediate(self) -> bool:
        return bool(self.huey.immediate)


def make_huey(url: str, name: str) -> Huey:
    """The huey instance *url* names: ``sqlite:///path``, ``redis://...``,
    ``postgresql://...``, or ``immediate`` (each job runs where it is
    enqueued, in that process; for tests and one-off commands)."""
    if url == IMMEDIATE:
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return PostgresHuey(name, dsn=dsn, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # fsync: a job enqueued is on disk before the request answers.
        return SqliteHuey(name, filename=str(path), results=False, fsync=True)
    raise QueueConfigurationError(
        f"COMMONS_QUEUE_URL={url!r} names no queue commons knows. Use "
        "sqlite:////absolute/path.sqlite3, redis://host:6379/0, "
        "postgresql://user@host/database, or immediate.")


def init_app(app: Flask) -> None:
    """Bind every declared job to the queue COMMONS_QUEUE_URL names."""
    url = app.config.get("QUEUE_URL") or \
        f"sqlite:///{Path(app.instance_path) / 'jobs.sqlite3'}"
    huey = make_huey(url, app.config["QUEUE_NAME"])
    tasks = {spec.name: _bind(app, huey, spec) for spec in JOBS.values()}

    @huey.signal(SIGNAL_ERROR)
    def failed(signal: str, task: Task, exception: BaseException | None = None) -> None:
        from commons.jobs.failures import record_failure
        metrics.jobs_failed.labels(job=task.name).inc()
        record_failure(app, task, exception)

    app.extensions["jobs"] = Queue(huey, tasks, url)
    # Read at each scrape of /metrics, inside that request.
    metrics.set_queue_depth_reader(huey.pending_count)
    metrics.set_failed_jobs_reader(lambda: _count_failures())


def _bind(app: Flask, huey: Huey, spec: JobSpec) -> TaskWrapper:
    retries = spec.retries if spec.retries is not None else int(app.config["QUEUE_RETRIES"])
    run = _in_app_context(app, spec.function)
    if spec.periodic is not None:
        return huey.periodic_task(spec.periodic, retries=0, name=spec.name)(run)
    return huey.task(retries=retries, retry_delay=float(app.config["QUEUE_RETRY_DELAY"]),
                     retry_backoff=2.0, name=spec.name)(run)


def _in_app_context(app: Flask, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        # Its own app context, so its own database session, even when an
        # immediate queue runs it inside a request.
        with app.app_context():
            try:
                return function(**kwargs)
            except BaseException:
                db.session.rollback()
                raise
    run.__name__ = function.__name__
    run.__qualname__ = function.__qualname__
    return run


def queue_of(app: Flask | None = None) -> Queue:
    target = app or current_app
    return target.extensions["jobs"]


def enqueue(name: str, **kwargs: Any) -> None:
    """Put the job *name* on the queue, to run as soon as a worker is free."""
    queue_of().tasks[name](**kwargs)


def schedule(name: str, at: datetime, **kwargs: Any) -> None:
    """Put the job *name* on the queue, to run at *at* (aware UTC)."""
    eta = at.astimezone(UTC).replace(tzinfo=None)  # huey keeps naive UTC
    queue_of().tasks[name].schedule(kwargs=kwargs, eta=eta)


def enqueue_after_commit(session: Session, name: str, **kwargs: Any) -> None:
    """Enqueue *name* once *session* commits what the job will read, and
    never if it rolls back first: a worker must not look before it is there."""
    _after_commit(session, name, None, kwargs)


def schedule_after_commit(session: Session, name: str, at: datetime, **kwargs: Any) -> None:
    """Schedule *name* at *at* once *session* commits, never if it rolls
    back first (as ``enqueue_after_commit``)."""
    _after_commit(session, name, at, kwargs)


def _after_commit(session: Session, name: str, at: datetime | None,
                  kwargs: dict[str, Any]) -> None:
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        _put(name, at, kwargs)  # nothing is waiting to be committed
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's own
    session.info.setdefault(_WAITING, []).append((app, name, at, kwargs))


def _put(name: str, at: datetime | None, kwargs: dict[str, Any]) -> None:
    if at is None:
        enqueue(name, **kwargs)
    else:
        schedule(name, at, **kwargs)


_WAITING = "commons.jobs.after_commit"


@event.listens_for(Session, "after_commit")
def _enqueue_waiting(session: Session) -> None:
    for app, name, at, kwargs in session.info.pop(_WAITING, []):
        with app.app_context():
            _put(name, at, kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _forget_waiting(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_WAITING, None)


def _count_failures() -> int:
    from commons.jobs.failures import count_unresolved  # it imports this module
    return count_unresolved(db.session)
