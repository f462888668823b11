"""Where a request's time goes under load: commons with probes, for
`bench/load.py --trace`, and the report of what they wrote.

gunicorn serves `load_trace:app()` instead of `commons:create_app()`
(the same app, same gunicorn.conf.py). In each worker the probes note, per
request, in the thread that serves it:

- queued: from gunicorn handing the connection to its thread pool to a
  thread taking it up (all 8 threads busy);
- wall and cpu: the app's own time, and this thread's CPU within it;
- db: time inside the driver's execute (statement round trips); pool:
  getting a pooled connection (pinged first), and how many connections
  were opened (the pool's overflow is closed again when it is full);
- git: waiting for a `git cat-file` reader's lock, and holding it;
- cache: the rendering cache's get;
- gc: the collector's pauses (any thread's: they stop every thread of the
  worker) that overlap the request, and their generations.

What is left (wall - cpu - db - git - cache) is time the thread was ready
to run but did not: waiting for the GIL (another thread of the worker
running Python) or for a core. Each worker appends one JSON line per
request to COMMONS_BENCH_TRACE_DIR/requests-<pid>.jsonl and one per
collection to gc-<pid>.jsonl; `report(folder)` reads them all.
"""

import gc
import json
import os
import statistics
import threading
import time
from contextlib import contextmanager
from pathlib import Path

_local = threading.local()
_lock = threading.Lock()
_rows: list[str] = []
_gcs: list[str] = []
_busy = 0
_folder = Path(os.environ.get("COMMONS_BENCH_TRACE_DIR", "."))


def _flush() -> None:
    with _lock:
        rows, gcs, lags = _rows[:], _gcs[:], _lags[:]
        _rows.clear()
        _gcs.clear()
        _lags.clear()
    pid = os.getpid()
    with open(_folder / f"lag-{pid}.jsonl", "a") as out:
        out.writelines(lags)
    with open(_folder / f"requests-{pid}.jsonl", "a") as out:
        out.writelines(rows)
    with open(_folder / f"gc-{pid}.jsonl", "a") as out:
        out.writelines(gcs)


_lags: list[str] = []


def _oversleep_forever(lags: list, pause: float = 0.005) -> None:
    """How much later than asked a thread wakes from a 5 ms sleep: in a
    worker, waiting for the GIL and for a core; in a process of its own
    (``oversleeps``), for a core only."""
    while True:
        asked = time.perf_counter()
        time.sleep(pause)
        woke = time.perf_counter()
        lags.append(json.dumps([woke, woke - asked - pause]) + "\n")


def oversleeps(until: threading.Event) -> list[float]:
    """The oversleeps of this process's thread until *until* is set."""
    found: list[float] = []
    while not until.is_set():
        asked = time.perf_counter()
        time.sleep(0.005)
        found.append(time.perf_counter() - asked - 0.005)
    return found


def _add(what: str, seconds: float) -> None:
    probe = getattr(_local, "probe", None)
    if probe is not None:
        probe[what] = probe.get(what, 0.0) + seconds


_gc_started = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        end = time.perf_counter()
        _gcs.append(json.dumps({"start": _gc_started[0], "end": end,
                                "generation": info["generation"],
                                "collected": info["collected"]}) + "\n")


class Probes:
    """WSGI middleware around the whole app: one row per request."""

    def __init__(self, wsgi):
        self.wsgi = wsgi

    def __call__(self, environ, start_response):
        global _busy
        probe = _local.probe = {}
        queued = getattr(_local, "queued", None)
        _local.queued = None
        with _lock:
            _busy += 1
            busy = _busy
        start, cpu = time.perf_counter(), time.thread_time()
        body = None
        try:
            answer = self.wsgi(environ, start_response)
            try:
                body = list(answer)
            finally:
                if (close := getattr(answer, "close", None)) is not None:
                    close()
        finally:
            end = time.perf_counter()
            with _lock:
                _busy -= 1
            row = {"path": environ.get("PATH_INFO"), "pid": os.getpid(),
                   "client": environ.get("REMOTE_PORT"),
                   "thread": threading.get_ident(), "start": start, "wall": end - start,
                   "cpu": time.thread_time() - cpu, "queued": queued, "busy": busy, **probe}
            _local.probe = None
            with _lock:
                _rows.append(json.dumps(row) + "\n")
        return body


def _probe_gunicorn() -> None:
    from gunicorn.workers import gthread

    worker = gthread.ThreadWorker
    if getattr(worker, "_probed", False):
        return
    enqueue, handle = worker.enqueue_req, worker.handle

    def enqueue_req(self, conn):
        conn.enqueued = time.perf_counter()
        return enqueue(self, conn)

    def probed_handle(self, conn):
        _local.queued = time.perf_counter() - getattr(conn, "enqueued", time.perf_counter())
        return handle(self, conn)

    worker.enqueue_req, worker.handle, worker._probed = enqueue_req, probed_handle, True


def _probe_git() -> None:
    from commons.git import catfile

    @contextmanager
    def locked(path, registered=None):
        while True:
            reader = (catfile.readers if registered is None else registered).get(path)
            asked = time.perf_counter()
            with reader.lock:
                got = time.perf_counter()
                _add("git_wait", got - asked)
                try:
                    if not reader.retired:
                        yield reader
                        return
                finally:
                    _add("git_held", time.perf_counter() - got)

    catfile.locked = locked


def _probe_cache() -> None:
    from commons import render_cache

    get = render_cache.get

    def probed_get(key):
        started = time.perf_counter()
        try:
            return get(key)
        finally:
            _add("cache", time.perf_counter() - started)

    render_cache.get = probed_get


def _probe_db(app) -> None:
    import sqlalchemy as sa

    from commons.extensions import db

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        _local.statement = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - _local.statement
        _add("db", took)
        _add("statements", 1)
        probe = getattr(_local, "probe", None)
        if probe is not None and took > probe.get("slowest_statement", 0.0):
            probe["slowest_statement"] = took
            probe["slowest_sql"] = " ".join(statement.split())[:60]

    @sa.event.listens_for(engine, "connect")
    def connected(dbapi_connection, record):
        _add("connects", 1)

    pool = engine.pool
    checkout = pool.connect

    def connect():
        started = time.perf_counter()
        try:
            return checkout()
        finally:
            _add("pool", time.perf_counter() - started)

    pool.connect = connect


def app():
    """commons, with the probes."""
    from commons import create_app

    made = create_app()
    _probe_gunicorn()
    _probe_git()
    _probe_cache()
    _probe_db(made)
    gc.callbacks.append(_on_gc)
    import atexit

    atexit.register(_flush)

    def flush_forever():  # twice a second, off the requests' threads
        while True:
            time.sleep(0.5)
            _flush()

    threading.Thread(target=flush_forever, daemon=True, name="bench-trace").start()
    threading.Thread(target=_oversleep_forever, args=(_lags,), daemon=True,
                     name="bench-lag").start()
    made.wsgi_app = Probes(made.wsgi_app)
    return made


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(folder: Path, since: float | None = None, slowest: float = 0.01) -> None:
    """The rows' percentiles, then the slowest *slowest* share of requests
    against the rest, part by part (milliseconds)."""
    rows = [json.loads(line) for path in sorted(folder.glob("requests-*.jsonl"))
            for line in path.read_text().splitlines()]
    gcs = {}
    for path in folder.glob("gc-*.jsonl"):
        pid = int(path.stem.split("-")[1])
        gcs[pid] = [json.loads(line) for line in path.read_text().splitlines()]
    if since is not None:
        rows = [row for row in rows if row["start"] >= since]
    if not rows:
        print("no requests traced")
        return
    for row in rows:
        row["queued"] = row.get("queued") or 0.0
        end = row["start"] + row["wall"]
        overlapping = [g for g in gcs.get(row["pid"], [])
                       if g["end"] > row["start"] and g["start"] < end]
        row["gc"] = sum(min(g["end"], end) - max(g["start"], row["start"])
                        for g in overlapping)
        row["gc2"] = sum(1 for g in overlapping if g["generation"] == 2)
        io = sum(row.get(part, 0.0) for part in ("db", "pool", "git_wait", "git_held", "cache"))
        row["other"] = row["wall"] - row["cpu"] - io - row["gc"]
        row["total"] = row["queued"] + row["wall"]
    parts = ("total", "queued", "wall", "cpu", "db", "pool", "git_wait", "git_held", "cache",
             "gc", "other")
    rows.sort(key=lambda row: row["total"])
    cut = max(1, int(len(rows) * slowest))
    tail, rest = rows[-cut:], rows[:-cut]
    print(f"{len(rows)} requests; server-side total (queued + app) p50 "
          f"{_percentile([r['total'] for r in rows], 0.5) * 1000:.1f} ms, p99 "
          f"{_percentile([r['total'] for r in rows], 0.99) * 1000:.1f} ms, max "
          f"{rows[-1]['total'] * 1000:.1f} ms")
    print(f"{'mean ms':14}" + "".join(f"{part:>9}" for part in parts))
    for label, group in ((f"slowest {cut}", tail), (f"other {len(rest)}", rest)):
        print(f"{label:14}" + "".join(
            f"{statistics.fmean(r.get(part, 0.0) or 0.0 for r in group) * 1000:9.1f}"
            for part in parts))
    print(f"new database connections: {sum(r.get('connects', 0) for r in rows)}; slowest "
          f"requests that opened one: {sum(1 for r in tail if r.get('connects'))} of {cut}")
    print(f"slowest with a generation-2 collection inside: "
          f"{sum(1 for r in tail if r['gc2'])} of {cut}; others: "
          f"{sum(1 for r in rest if r['gc2'])} of {len(rest)}")
    by_pid: dict[int, list] = {}
    for row in rows:
        by_pid.setdefault(row["pid"], []).append(row)
    print("per worker, connections (client ports) and requests:",
          ", ".join(f"{len({r['client'] for r in served})} and {len(served)}"
                    for served in by_pid.values()),
          " busy threads at start, slowest / other:",
          f"{statistics.fmean(r['busy'] for r in tail):.1f} / "
          f"{statistics.fmean(r['busy'] for r in rest):.1f}")
    for pid, collections in sorted(gcs.items()):
        collections = [g for g in collections if since is None or g["start"] >= since]
        for generation in (0, 1, 2):
            pauses = [(g["end"] - g["start"]) * 1000 for g in collections
                      if g["generation"] == generation]
            if pauses:
                print(f"  worker {pid} gen {generation}: {len(pauses)} collections, "
                      f"median {statistics.median(pauses):.2f} ms, max {max(pauses):.1f} ms, "
                      f"sum {sum(pauses):.0f} ms")
    for path in sorted(folder.glob("lag-*.jsonl")):
        lags = [lag for woke, lag in map(json.loads, path.read_text().splitlines())
                if since is None or woke >= since]
        if lags:
            print(f"  worker {path.stem.split('-')[1]} oversleep of a 5 ms sleep (GIL + core): "
                  f"p50 {_percentile(lags, 0.5) * 1000:.1f} ms, p99 "
                  f"{_percentile(lags, 0.99) * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms")
    print("the 10 slowest (ms):")
    for row in rows[-10:]:
        print("  " + " ".join(f"{part} {(row.get(part) or 0.0) * 1000:.1f}" for part in parts)
              + f" busy {row['busy']} gc2 {row['gc2']} pid {row['pid']}; slowest statement "
              f"{row.get('slowest_statement', 0) * 1000:.1f} ms {row.get('slowest_sql')}")
