"""``flask --app commons worker`` and ``flask --app commons jobs ...``"""

import logging

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from commons import clock
from commons.extensions import db
from commons.jobs import failures
from commons.jobs.queue import queue_of
from commons.jobs.registry import JOBS
from commons.problems import NotFound


@click.command("worker")
@click.option("--threads", type=int, default=None,
              help="Jobs run at once (default COMMONS_QUEUE_WORKER_THREADS).")
@with_appcontext
def worker(threads: int | None) -> None:
    """Run jobs from the queue until stopped (Ctrl-C finishes the jobs under
    way; SIGTERM stops at once, and what was cut short is run again by the
    sweeps). Run as many as needed, on any machine that reaches the queue,
    the database and the repositories."""
    queue = queue_of()
    if queue.immediate:
        raise click.ClickException(
            "COMMONS_QUEUE_URL=immediate runs each job in the process that enqueues it; "
            "there is nothing for a worker to do. Unset it, or name a queue "
            "(sqlite:///..., redis://..., postgresql://...).")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = queue.huey.create_consumer(
        workers=threads or int(current_app.config["QUEUE_WORKER_THREADS"]),
        worker_type="thread", periodic=True, check_worker_health=True,
        # A storage without blocking reads (SQLite) is polled: at most a
        # second between looks, so a decision is carried out on time.
        initial_delay=0.1, backoff=1.15, max_delay=1.0, scheduler_interval=1)
    click.echo(f"commons worker: {len(queue.tasks)} jobs, queue {_safe(queue.url)}", err=True)
    for spec in JOBS.values():
        if spec.at_start:  # catching up on what happened while no worker ran
            queue.tasks[spec.name]()
    consumer.run()


jobs = AppGroup("jobs", help="The job queue: what waits, what failed.")


@jobs.command("status")
def status() -> None:
    """Jobs waiting, scheduled, and failed for good."""
    queue = queue_of()
    click.echo(f"queue: {_safe(queue.url)}")
    click.echo(f"waiting: {queue.huey.pending_count()}")
    click.echo(f"scheduled: {queue.huey.scheduled_count()}")
    click.echo(f"failed: {failures.count_unresolved(db.session)}")


@jobs.command("failed")
def failed() -> None:
    """List the jobs that failed for good, newest first."""
    rows = failures.unresolved(db.session)
    if not rows:
        click.echo("No failed jobs.")
        return
    for row in rows:
        last = row.error.strip().splitlines()[-1] if row.error.strip() else ""
        click.echo(f"{row.id}\t{row.failed_at:%Y-%m-%d %H:%M:%S}Z\t{row.job}\t"
                   f"{row.arguments}\t{last}")
    click.echo("Put one back with `flask --app commons jobs retry ID`, or "
               "`jobs dismiss ID` once it needs nothing more.")


@jobs.command("retry")
@click.argument("failure_id", type=int)
def retry(failure_id: int) -> None:
    """Put failed job FAILURE_ID back on the queue."""
    try:
        failure = failures.retry(db.session, failure_id, clock.now())
    except NotFound as problem:
        raise click.ClickException(problem.message) from None
    click.echo(f"{failure.job} is back on the queue.")


@jobs.command("dismiss")
@click.argument("failure_id", type=int)
def dismiss(failure_id: int) -> None:
    """Take failed job FAILURE_ID off the list without running it."""
    try:
        failure = failures.dismiss(db.session, failure_id, clock.now())
    except NotFound as problem:
        raise click.ClickException(problem.message) from None
    click.echo(f"Dismissed {failure.job} ({failure.id}).")


def _safe(url: str) -> str:
    """The queue's address without a password in it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
