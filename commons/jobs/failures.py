"""Recording jobs that failed for good, and putting them back."""

import logging
import traceback
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from huey.api import Task
from sqlalchemy.orm import Session

from commons import clock
from commons.extensions import db
from commons.jobs.models import JobFailure
from commons.jobs.queue import queue_of
from commons.problems import NotFound

log = logging.getLogger(__name__)


def record_failure(app: Flask, task: Task, exception: BaseException | None) -> None:
    """Called by huey after each failed run; kept once no retry is left.
    Never raises: the worker goes on with the next job whatever happens."""
    if task.retries:
        log.warning("job %s (%s) failed; %d retries left", task.name, task.id, task.retries)
        return
    error = "".join(traceback.format_exception(exception)) if exception else "failed"
    try:
        with app.app_context():
            db.session.add(JobFailure(job=task.name, task_id=str(task.id),
                                      arguments=_plain(task.kwargs), error=error[-20000:],
                                      failed_at=clock.now()))
            db.session.commit()
    except Exception:
        log.exception("job %s (%s) failed for good, and could not be recorded", task.name,
                      task.id)


def unresolved(session: Session, limit: int = 100) -> list[JobFailure]:
    return list(session.scalars(sa.select(JobFailure).where(JobFailure.resolved_at.is_(None))
                                .order_by(JobFailure.failed_at.desc()).limit(limit)))


def count_unresolved(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(JobFailure)
                          .where(JobFailure.resolved_at.is_(None))) or 0


def retry(session: Session, failure_id: int, now: datetime) -> JobFailure:
    """Put a failed job back on the queue with the arguments it had."""
    failure = _unresolved(session, failure_id)
    tasks = queue_of().tasks
    if failure.job not in tasks:
        raise NotFound(f"There is no job called {failure.job} any more; dismiss it instead.")
    tasks[failure.job](**failure.arguments)
    failure.resolved_at, failure.resolution = now, "retried"
    session.commit()
    return failure


def dismiss(session: Session, failure_id: int, now: datetime) -> JobFailure:
    failure = _unresolved(session, failure_id)
    failure.resolved_at, failure.resolution = now, "dismissed"
    session.commit()
    return failure


def _unresolved(session: Session, failure_id: int) -> JobFailure:
    failure = session.get(JobFailure, failure_id)
    if failure is None or failure.resolved_at is not None:
        raise NotFound(f"No unresolved failed job has the number {failure_id}; "
                       "`flask --app commons jobs failed` lists them.")
    return failure


def _plain(kwargs: Any) -> dict:
    return {str(key): value for key, value in dict(kwargs or {}).items()}
