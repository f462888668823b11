"""Every main page under load: the demo on PostgreSQL, commons under
gunicorn (gthread, 2 workers x 8 threads, as bench/common.py starts it),
and `wrk -t2 -c16 -d30s --latency` against each page in turn.

    .venv/bin/python bench/load.py --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/test_h4
        [--duration 30] [--connections 16] [--member] [--pages home,contributors]
        [--profile] [--runs 20] [--keep DIR] [--before DIR [--rounds N]] [--warm 3] [--trace]

The PostgreSQL database named is emptied, then filled by `flask demo`
(repositories in a temporary folder). Targets (issue 18): project home
>= 150 req/s, contributors >= 80 req/s, every page p99 <= 250 ms, zero
errors. Errors are wrk's socket errors and timeouts plus every answer that
is not 2xx, counted by a small Lua script (a redirect would be an error:
it is not the page).

`--before DIR` serves another checkout too (`git archive main | tar -x -C
DIR`, then `ln -s $PWD/.venv DIR/.venv`), on the same demo and database,
and runs each page against both in turn (`--rounds` times), before first,
then prints after / before of the requests per second: on a shared
machine only such a paired comparison says what a change did.

`--member` sends every request with the session cookie of a demo member
(ada, who has unread notifications), so the header's badge and the
member's view are in the figures; without it the visitor is anonymous.

`--profile` does not start gunicorn: it requests each page `--runs` times
through Flask's test client in this process, against the same database,
and prints per page the SQL statements and their time (SQLAlchemy's
cursor events), the wall and CPU time, and cProfile's heaviest functions.

wrk runs on the same two cores as the server and takes a share of them (a
third of a core or so at these rates): the figures are what the server
does with what wrk leaves it, on a machine that may be shared; the load
average is printed at the start and at the end.
"""

import argparse
import concurrent.futures
import contextlib
import cProfile
import http.cookiejar
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import load_trace  # noqa: E402
from common import BIN, ROOT, commons_server, empty_database, remove, scratch  # noqa: E402

PAGES = {
    "front": "/",
    "home": "/projects/solar-dryer",
    "tree": "/projects/solar-dryer/tree",
    "ledger": "/projects/solar-dryer/ledger",
    "proposals": "/projects/solar-dryer/proposals",
    "contributors": "/projects/solar-dryer/contributors",
    "needs": "/needs",
}
TARGET_RATE = {"home": 150, "contributors": 80}
TARGET_P99_MS = 250
MEMBER, PASSWORD = "ada", "demo password"  # commons.demo.data

# Counts every answer that is not 2xx, per wrk thread, and prints the
# figures as one JSON line at the end (latencies in microseconds).
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50": %d, "p99": %d, "max": %d, ' ..
    '"non2xx": %d, "socket": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, bad, e.connect + e.read + e.write + e.timeout))
end
"""


def settings(uri: str, work: Path) -> dict:
    return {"COMMONS_SQLALCHEMY_DATABASE_URI": uri, "COMMONS_REPOS_DIR": str(work / "repos"),
            "COMMONS_EVIDENCE_DIR": str(work / "evidence")}


def load_demo(uri: str, work: Path) -> None:
    empty_database(uri)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SECRET_KEY": "bench", **settings(uri, work)}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "commons", *command], env=env, cwd=ROOT,
                       check=True, capture_output=True)


def session_cookie(base: str) -> str:
    """The Cookie header of a logged-in demo member."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "login": MEMBER, "password": PASSWORD})
    opener.open(base + "/login", data=form.encode()).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise RuntimeError("logging in as the demo member failed")
    return cookies


def wrk(url: str, script: Path, connections: int, duration: int, cookie: str | None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout",
               "10s", "-s", str(script), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(re.search(r"^WRK (.*)$", out, re.M).group(1))
    figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def _ticks(pid: int) -> tuple[int, int]:
    """(own, waited-for children's) CPU ticks of a process; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cpu_snapshot(master: int, engine: sa.Engine) -> dict[str, dict[int, int]]:
    """CPU ticks so far of the gunicorn workers, of the git processes they
    ran (their waited-for children), and of the PostgreSQL backends open
    on the database (the server's own connections among them)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    workers = {int(pid): _ticks(int(pid)) for pid in children}
    with engine.connect() as connection:
        backends = connection.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid != pg_backend_pid()")).all()
    return {"app": {pid: own for pid, (own, _) in workers.items()},
            "git": {pid: waited for pid, (_, waited) in workers.items()},
            "db": {pid: sum(_ticks(pid)) for pid in backends}}


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request by part (a backend or worker new
    since *before* counts from zero)."""
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    # max(): a backend that ended and whose pid was taken again meanwhile.
    return {part: sum(max(ticks - before[part].get(pid, 0), 0)
                      for pid, ticks in after[part].items())
            * tick_ms / max(requests, 1) for part in after}


def run_load(args, uri: str, work: Path, pages: list[str]) -> None:
    script = work / "count.lua"
    script.write_text(WRK_SCRIPT)
    engine = sa.create_engine(uri, poolclass=sa.NullPool)
    roots = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    with contextlib.ExitStack() as stack:
        servers = {}
        for label, root in roots:
            folder = work / f"server-{label}"
            folder.mkdir(exist_ok=True)
            extra, app = settings(uri, work), "commons:create_app()"
            # The rendering cache and the job queue in the bench's folder,
            # not in each checkout's instance folder: a "before" tree stays
            # untouched, and both start from the same empty cache.
            extra |= {"COMMONS_CACHE_URL": str(folder / "render-cache"),
                      "COMMONS_QUEUE_URL": f"sqlite:///{folder / 'jobs.sqlite3'}"}
            if args.trace:
                # The same app with probes (bench/load_trace.py), this
                # checkout's probes whichever checkout is served.
                (folder / "trace").mkdir(exist_ok=True)
                extra |= {"PYTHONPATH": str(Path(__file__).parent),
                          "COMMONS_BENCH_TRACE_DIR": str(folder / "trace")}
                app = "load_trace:app()"
            base, _, master = stack.enter_context(commons_server(
                folder, workers=2, threads=8, extra_env=extra, root=root, app=app))
            cookie = session_cookie(base) if args.member else None
            for name in pages:  # each page answers before it is measured
                request = urllib.request.Request(base + PAGES[name],
                                                 headers={"Cookie": cookie} if cookie else {})
                urllib.request.urlopen(request).read()
            servers[label] = (base, master, cookie)
        print(f"{'page':22} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'errors':>6} {'CPU ms/request: app':>20} {'git':>5} {'db':>5}  target")
        rates: dict[tuple[str, str], list[float]] = {}
        for name in pages:
            # With --before, the two checkouts take turns on each page (before
            # first), so a change in the machine's load hits both alike.
            for _ in range(args.rounds):
                for label, _root in reversed(roots):
                    base, master, cookie = servers[label]
                    if args.warm:
                        # Every thread of every worker, and their pooled
                        # database connections, serve the page once or more
                        # before it is measured: the first requests of a
                        # worker cost 20-30 times a warm one (bench/README.md,
                        # "The project home's tail").
                        wrk(base + PAGES[name], script, args.connections, args.warm, cookie)
                    started = time.perf_counter()
                    if args.trace:  # waiting for a core alone, in this idle process
                        done = threading.Event()
                        lags = concurrent.futures.ThreadPoolExecutor(1).submit(
                            load_trace.oversleeps, done)
                    figures = measure(engine, master, base + PAGES[name], script, args, cookie)
                    rates.setdefault((name, label), []).append(figures["rate"])
                    shown = f"{name} ({label})" if args.before else name
                    print(f"{shown:22} {figure_line(name, figures)}", flush=True)
                    if args.trace:
                        done.set()
                        lags = sorted(lags.result())
                        print(f"  this process's oversleep of a 5 ms sleep (a core only): "
                              f"p50 {lags[len(lags) // 2] * 1000:.1f} ms, p99 "
                              f"{lags[int(len(lags) * 0.99)] * 1000:.1f} ms, max "
                              f"{lags[-1] * 1000:.1f} ms")
                        time.sleep(1)  # the workers write their rows twice a second
                        load_trace.report(work / f"server-{label}" / "trace", since=started)
        if args.before:
            print("\nafter / before, requests per second (each round):")
            for name in pages:
                ratios = [a / b for a, b in zip(rates[name, "after"], rates[name, "before"],
                                                strict=True)]
                print(f"  {name:14} " + " ".join(f"{ratio:.2f}" for ratio in ratios))
    engine.dispose()


def measure(engine: sa.Engine, master: int, url: str, script: Path, args,
            cookie: str | None) -> dict:
    """wrk's figures for *url*, with the CPU per request of each part."""
    before = cpu_snapshot(master, engine)
    figures = wrk(url, script, args.connections, args.duration, cookie)
    figures["cpu"] = cpu_per_request(before, cpu_snapshot(master, engine), figures["requests"])
    return figures


def figure_line(name: str, f: dict) -> str:
    cpu, errors = f["cpu"], f["non2xx"] + f["socket"]
    wanted = [f"p99 <= {TARGET_P99_MS}"] + (
        [f">= {TARGET_RATE[name]} req/s"] if name in TARGET_RATE else [])
    met = (f["p99"] / 1000 <= TARGET_P99_MS and not errors
           and f["rate"] >= TARGET_RATE.get(name, 0))
    return (f"{f['rate']:7.1f} {f['p50'] / 1000:7.1f} {f['p99'] / 1000:7.1f} "
            f"{f['max'] / 1000:7.1f} {errors:6} {cpu['app']:20.1f} {cpu['git']:5.1f} "
            f"{cpu['db']:5.1f}  {', '.join(wanted)}: {'met' if met else 'MISSED'}")


def run_profile(args, uri: str, work: Path, pages: list[str]) -> None:
    """Each page through the test client: statements, their time, and
    cProfile's view of the rest."""
    from commons import create_app
    from commons.extensions import db

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": uri,
                      "REPOS_DIR": str(work / "repos"), "EVIDENCE_DIR": str(work / "evidence")})
    client = app.test_client()
    if args.member:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"csrf_token": token, "login": MEMBER, "password": PASSWORD})
    with app.app_context():
        engine = db.engine
    statements: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, time.perf_counter() - conn.info.pop("started")))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    for name in pages:
        for _ in range(3):
            # Closed, as a server closes what it sent: what a page keeps
            # in the rendering cache is written then.
            with client.get(PAGES[name]) as response:
                assert response.status_code == 200, name
        statements.clear()
        walls, cpus = [], []
        profile = cProfile.Profile()
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            profile.enable()
            with client.get(PAGES[name]) as response:
                response.get_data()
            profile.disable()
            walls.append((time.perf_counter() - start) * 1000)
            cpus.append((time.process_time() - start_cpu) * 1000)
        sql_ms = sum(t for _, t in statements) * 1000 / args.runs
        print(f"\n== {name} {PAGES[name]}: wall median {statistics.median(walls):.1f} ms, CPU "
              f"median {statistics.median(cpus):.1f} ms, {len(statements) / args.runs:.0f} "
              f"statements, {sql_ms:.1f} ms in them (per request)")
        by_statement: dict[str, list[float]] = {}
        for statement, seconds in statements:
            by_statement.setdefault(" ".join(statement.split())[:150], []).append(seconds)
        for text, times in sorted(by_statement.items(), key=lambda kv: -sum(kv[1]))[:8]:
            print(f"   {len(times) / args.runs:5.1f} x {sum(times) * 1000 / args.runs:6.2f} ms  "
                  f"{text}")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue().split("\n", 6)[-1] if args.top else "")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-uri", default=os.environ.get("COMMONS_BENCH_DATABASE_URI"),
                        required="COMMONS_BENCH_DATABASE_URI" not in os.environ,
                        help="a PostgreSQL database, emptied")
    parser.add_argument("--duration", type=int, default=30, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pages", default=",".join(PAGES), help="a comma-separated subset")
    parser.add_argument("--member", action="store_true", help="as a logged-in demo member")
    parser.add_argument("--profile", action="store_true", help="profile; no gunicorn, no wrk")
    parser.add_argument("--before", type=Path,
                        help="another checkout (e.g. `git archive main`, its .venv linked) "
                             "served beside this one on the same demo; the two take turns "
                             "on each page")
    parser.add_argument("--rounds", type=int, default=1,
                        help="turns of each checkout on each page")
    parser.add_argument("--warm", type=int, default=3,
                        help="seconds of wrk against each page before it is measured (0: none)")
    parser.add_argument("--trace", action="store_true",
                        help="serve the app with probes and say where each page's slowest "
                             "requests spent their time (bench/load_trace.py)")
    parser.add_argument("--runs", type=int, default=20, help="requests per page with --profile")
    parser.add_argument("--top", type=int, default=30, help="functions shown with --profile")
    parser.add_argument("--keep", type=Path, help="load the demo into this folder and keep it; "
                        "a later run with the same folder (and database) reuses it")
    args = parser.parse_args()
    pages = args.pages.split(",")
    work = args.keep or scratch("commons-bench-load-")
    try:
        started = time.perf_counter()
        if not (args.keep and (work / "repos").exists()):
            work.mkdir(parents=True, exist_ok=True)
            load_demo(args.database_uri, work)
        print(f"demo ready in {time.perf_counter() - started:.1f} s; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
              f"{'member ' + MEMBER if args.member else 'anonymous'}", flush=True)
        if args.profile:
            run_profile(args, args.database_uri, work, pages)
        else:
            run_load(args, args.database_uri, work, pages)
        print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            remove(work)


if __name__ == "__main__":
    main()
