"""gunicorn reads this file from the working folder by itself (`make run`,
the tests' live server, the benchmarks)."""

import gc


def post_worker_init(worker):
    # The app's ~150,000 start-up objects live as long as the worker. Moved
    # out of the collector's reach, a page that builds thousands of records
    # no longer pays a full collection over them every few requests
    # (bench/contributors.py --gc-freeze: p95 126 ms -> 31 ms on SQLite).
    gc.freeze()
