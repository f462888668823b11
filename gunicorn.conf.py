"""gunicorn reads this file from the working folder by itself (`make run`,
the tests' live server, the benchmarks, production): the one place that
says how commons is served."""

import gc

# Threads, not gevent: a git transfer spends its time waiting on git and on
# its client, which costs a thread next to nothing, while gevent's
# subprocess (a fork in Python) made every page that runs git several times
# slower (bench/README.md, "Slow clones"). gthread, except that a worker
# holds at most one connection per thread and leaves the rest to the others
# (commons/serving.py; bench/README.md, "The project home's tail under load").
worker_class = "commons.serving.BalancedThreadWorker"
threads = 64
# Of each worker's threads, this many (a quarter of fewer than 64, at least
# one) are never given to git transfers, so slow clones cannot take the
# threads that serve pages: the rest stream git (48 of 64), and one transfer
# more is answered 503, try again (commons.git.transport.Transfers).
PAGE_THREADS = 16


def post_worker_init(worker):
    # The app's ~150,000 start-up objects live as long as the worker. Moved
    # out of the collector's reach, a page that builds thousands of records
    # no longer pays a full collection over them every few requests
    # (bench/contributors.py --gc-freeze: p95 126 ms -> 31 ms on SQLite).
    gc.freeze()
    from gunicorn.workers.gthread import ThreadWorker

    if isinstance(worker, ThreadWorker):
        from commons.git.transport import limit_transfers

        count = worker.cfg.threads
        limit_transfers(count - min(PAGE_THREADS, max(1, count // 4)) if count > 1 else 1)
    # Only gunicorn knows how many workers there are, and only the app knows
    # where it counts password attempts: each worker says so as it starts.
    config = getattr(worker.wsgi, "config", None)
    if config is not None:
        from commons.accounts.attempts import per_worker_warning

        warning = per_worker_warning(config["RATELIMIT_STORAGE_URI"], worker.cfg.workers)
        if warning:
            worker.log.warning(warning)


# --- Metrics and request ids (commons/metrics.py, commons/logs.py) ---------
# Each access line ends with the request's id: the X-Request-Id the app
# answers, which its own log lines for that request carry too.
access_log_format = ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
                     'request_id=%({x-request-id}o)s')


def child_exit(server, worker):
    # prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set):
    # a dead worker's live gauges stop counting; its counters stay summed.
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
