"""Slow clones against one commons instance: do pages stay fast while many
clients fetch a large pack slowly?

    .venv/bin/python bench/slow_clones.py [--clones 64] [--rate-kib 64] [--seconds 30]
        [--pack-mb 6] [--worker-class gthread|gevent] [--workers 2] [--threads N]

commons runs under gunicorn as `make run` starts it (its gunicorn.conf.py,
2 workers; --worker-class and --threads override the file to compare
designs) on a fresh SQLite database. One project's repository holds a pack
of --pack-mb MB of random blobs. Pages (/projects and the project's page, one after the other)
are timed for --seconds while the instance is idle, then again while
--clones real `git clone`s run, each through its own connection of a small
proxy that passes the server's answer on at --rate-kib KiB/s.

Prints page p50 and p99 idle and loaded, their ratio (target: loaded p99 at
most 2x idle), page timeouts (no answer within 25 s), and how many clones
completed, were refused (503: the workers' transfers were all taken),
failed, or timed out (git gives up below 1 KiB/s for 30 s).
"""

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import (
    BIN,
    GIT_ENV,
    ROOT,
    free_port,
    generate_repository,
    git,
    pack_size,
    remove,
    scratch,
    wait_for,
)
from git_transport import commons_project

PAGE_TIMEOUT = 25.0
# What the proxy reads from commons at once; the upstream socket's receive
# buffer is kept as small, so the kernel does not soak up the pack for it.
PIECE = 16 * 1024


# --- the throttling proxy (its own process, so its work is not timed) ----------

async def _pipe(reader, writer, rate: float | None) -> None:
    started, sent = time.monotonic(), 0
    try:
        while data := await reader.read(PIECE):
            writer.write(data)
            await writer.drain()
            sent += len(data)
            if rate:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _serve_proxy(listen: int, upstream: int, rate: float) -> None:
    async def connection(client_reader, client_writer):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, PIECE)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", upstream))
        server_reader, server_writer = await asyncio.open_connection(sock=sock, limit=PIECE)
        await asyncio.gather(_pipe(client_reader, server_writer, None),
                             _pipe(server_reader, client_writer, rate))

    server = await asyncio.start_server(connection, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


def start_proxy(upstream: int, rate: float) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proxy = subprocess.Popen([sys.executable, __file__, "--proxy", str(port), str(upstream),
                              str(rate)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proxy, port
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the proxy did not start") from None
            time.sleep(0.1)


# --- commons ------------------------------------------------------------------

def start_commons(work: Path, args) -> tuple[subprocess.Popen, str, dict, int]:
    """gunicorn as `make run` runs it: gunicorn.conf.py from the checkout,
    2 workers, the access log off (it would only cost the measured pages)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/commons.sqlite3",
           "COMMONS_REPOS_DIR": str(work / "repos"), "COMMONS_SECRET_KEY": "bench"}
    subprocess.run([str(BIN / "flask"), "--app", "commons", "db", "upgrade"], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    port = free_port()
    env["COMMONS_BASE_URL"] = f"http://127.0.0.1:{port}"
    command = [str(BIN / "gunicorn"), "--workers", str(args.workers),
               "--bind", f"127.0.0.1:{port}"]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.worker_class:
        command += ["--worker-class", args.worker_class]
    log = open(work / "gunicorn.log", "w")
    server = subprocess.Popen([*command, "commons:create_app()"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    log.close()
    base = f"http://127.0.0.1:{port}"
    wait_for(base + "/projects")
    return server, base, env, port


# --- measuring ----------------------------------------------------------------

def time_pages(urls: list[str], seconds: float) -> tuple[list[float], int, int]:
    """Fetch *urls* in turn for *seconds*: latencies in ms, timeouts, errors."""
    latencies, timeouts, errors = [], 0, 0
    end = time.monotonic() + seconds
    number = 0
    while time.monotonic() < end:
        url = urls[number % len(urls)]
        number += 1
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as response:
                response.read()
            latencies.append((time.perf_counter() - started) * 1000)
        except TimeoutError:
            timeouts += 1
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                timeouts += 1
            else:
                errors += 1
        except OSError:
            errors += 1
    return latencies, timeouts, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summary(name: str, latencies: list[float], timeouts: int, errors: int) -> None:
    print(f"{name:>7}: {len(latencies)} pages, p50 {percentile(latencies, 0.50):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies, default=0):.1f} ms, "
          f"timeouts {timeouts}, errors {errors}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clones", type=int, default=64)
    parser.add_argument("--rate-kib", type=float, default=64)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--pack-mb", type=float, default=6)
    parser.add_argument("--worker-class", help="overrides gunicorn.conf.py")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, help="overrides gunicorn.conf.py")
    args = parser.parse_args()
    rate = args.rate_kib * 1024

    work = scratch("commons-bench-slow-")
    server = proxy = None
    clones: list[tuple[subprocess.Popen, float]] = []
    try:
        source = work / "source.git"
        commits = 300
        generate_repository(source, commits, 100, int(args.pack_mb * 1e6 / commits))
        server, base, env, port = start_commons(work, args)
        print(f"gunicorn: {args.worker_class or 'gunicorn.conf.py'}, {args.workers} workers, "
              f"{args.threads or 'gunicorn.conf.py'} threads; pack {pack_size(source) / 1e6:.1f} MB, "
              f"{args.clones} clones at {args.rate_kib:g} KiB/s "
              f"(about {pack_size(source) / rate:.0f} s each)")
        commons_project(base, env, "bench")
        repository = work / "repos" / "bench.git"
        remove(repository)
        git("clone", "-q", "--bare", str(source), str(repository))
        proxy, proxy_port = start_proxy(port, rate)

        pages = [base + "/projects", base + "/projects/bench"]
        time_pages(pages, 3)  # every worker warm
        idle = time_pages(pages, args.seconds)
        summary("idle", *idle)

        clone_env = {**GIT_ENV, "GIT_HTTP_LOW_SPEED_LIMIT": "1024",
                     "GIT_HTTP_LOW_SPEED_TIME": "30"}
        url = f"http://127.0.0.1:{proxy_port}/projects/bench.git"
        for number in range(args.clones):
            clones.append((subprocess.Popen(
                ["git", "clone", "-q", "--bare", url, str(work / f"clone-{number}")],
                env=clone_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                time.monotonic()))
        loaded = time_pages(pages, args.seconds)
        running = sum(process.poll() is None for process, _ in clones)
        summary("loaded", *loaded)
        print(f"clones still running at the end of the loaded window: {running}")

        durations, failed, refused, timed_out = [], 0, 0, 0
        deadline = time.monotonic() + max(600, 4 * pack_size(source) / rate)
        for process, started in clones:
            try:
                _, stderr = process.communicate(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                timed_out += 1
                continue
            if process.returncode == 0:
                durations.append(time.monotonic() - started)
            elif b"too slow" in stderr or b"timed out" in stderr.lower():
                timed_out += 1
            elif b"503" in stderr:  # over the instance's transfers: told to try again
                refused += 1
            else:
                failed += 1
                print("clone failed:", stderr.decode(errors="replace").strip()[-300:])
        print(f"clones: {len(durations)} completed, {refused} refused (503), {failed} failed, "
              f"{timed_out} timed out; "
              f"duration median {statistics.median(durations) if durations else 0:.0f} s, "
              f"max {max(durations, default=0):.0f} s")
        idle_p99, loaded_p99 = percentile(idle[0], 0.99), percentile(loaded[0], 0.99)
        page_timeouts = idle[1] + loaded[1]
        print(f"page p99 loaded/idle: {loaded_p99 / idle_p99:.2f} (target <= 2); "
              f"timeouts: {page_timeouts} pages, {timed_out} clones (target 0)")
    except BaseException:
        log = work / "gunicorn.log"
        if log.exists():
            print("gunicorn's log ends:\n" + log.read_text()[-6000:], file=sys.stderr)
        raise
    finally:
        for process, _ in clones:
            if process.poll() is None:
                process.kill()
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        remove(work)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--proxy":
        asyncio.run(_serve_proxy(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
    else:
        main()
