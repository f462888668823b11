"""gunicorn reads this file from the working folder by itself (`make run`,
the tests' live server, the benchmarks)."""

import gc


def post_worker_init(worker):
    # The app's ~150,000 start-up objects live as long as the worker. Moved
    # out of the collector's reach, a page that builds thousands of records
    # no longer pays a full collection over them every few requests
    # (bench/contributors.py --gc-freeze: p95 126 ms -> 31 ms on SQLite).
    gc.freeze()
    # Only gunicorn knows how many workers there are, and only the app knows
    # where it counts password attempts: each worker says so as it starts.
    config = getattr(worker.wsgi, "config", None)
    if config is not None:
        from commons.accounts.attempts import per_worker_warning

        warning = per_worker_warning(config["RATELIMIT_STORAGE_URI"], worker.cfg.workers)
        if warning:
            worker.log.warning(warning)
