"""The job queue: work that must not keep a page or a push waiting, and
must not be lost when a process dies.

Huey runs it (README, "Jobs"): on a SQLite file in the instance folder by
default, so `make run` needs nothing else, and on Redis in production
(COMMONS_QUEUE_URL). A domain declares its jobs with ``@job`` in its own
``jobs.py``; ``create_app`` binds them to the app's queue. Jobs are
idempotent: each rereads the database and does what is still left to do,
because delivery is at least once (a periodic sweep re-enqueues what a dead
worker dropped)."""

from commons.jobs.queue import (
    enqueue,
    enqueue_after_commit,
    init_app,
    queue_of,
    schedule,
    schedule_after_commit,
)
from commons.jobs.registry import job

__all__ = ["enqueue", "enqueue_after_commit", "init_app", "job", "queue_of", "schedule",
           "schedule_after_commit"]
