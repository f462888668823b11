"""Shared pieces of the benchmarks: generated repositories, a commons
server under gunicorn, git http-backend behind nginx + fcgiwrap, git daemon,
and timing helpers. Everything runs on 127.0.0.1 and stops by itself."""

import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GIT_ENV = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}


def git(*args, cwd=None, check=True, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env={**GIT_ENV, **(env or {})}, check=check,
                          capture_output=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.2)


def generate_repository(path: Path, commits: int, files: int, bytes_per_commit: int,
                        seed: int = 1) -> None:
    """A bare repository whose main has *commits* commits over *files* files,
    each commit rewriting one file with fresh incompressible bytes (so the
    pack is about commits x bytes_per_commit), built with git fast-import."""
    rng = random.Random(seed)
    git("init", "-q", "--bare", "-b", "main", str(path))
    process = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, env=GIT_ENV,
                               stdin=subprocess.PIPE)
    write = process.stdin.write
    for number in range(commits):
        message = f"Change {number}".encode()
        data = rng.randbytes(bytes_per_commit)
        write(b"commit refs/heads/main\n")
        write(f"committer Bench <bench@example.org> {1_700_000_000 + number} +0000\n".encode())
        write(b"data %d\n%s\n" % (len(message), message))
        write(f"M 100644 inline dir{number % 50}/file{number % files}.bin\n".encode())
        write(b"data %d\n%s\n" % (len(data), data))
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("fast-import failed")
    git("repack", "-adq", cwd=path)


def pack_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path / "objects" / "pack").glob("*.pack"))


@contextmanager
def commons_server(workdir: Path, workers: int = 2, threads: int = 8,
                   extra_env: dict | None = None, root: Path = ROOT,
                   app: str = "commons:create_app()"):
    """commons under gunicorn as `make run` starts it (the worker class of
    gunicorn.conf.py, threaded); yields (base, env, pid).
    *extra_env* adds COMMONS_* settings; *root* is the checkout served (another
    one, e.g. an export of main, measures before against after); *app* is
    what gunicorn serves."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/commons.sqlite3",
           "COMMONS_REPOS_DIR": str(workdir / "repos"), "COMMONS_SECRET_KEY": "bench",
           "COMMONS_LOGIN_RATE_LIMIT": "100000 per minute",
           "COMMONS_ACCOUNT_LOGIN_RATE_LIMIT": "100000 per minute", **(extra_env or {})}
    subprocess.run([str(BIN / "flask"), "--app", "commons", "db", "upgrade"], env=env, cwd=root,
                   check=True, capture_output=True)
    port = free_port()
    log = open(workdir / "gunicorn.log", "w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers),
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "600",
         app], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/projects")
        yield base, env, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        log.close()


@contextmanager
def http_backend_server(root: Path, workdir: Path):
    """git http-backend behind nginx and fcgiwrap, serving *root* at /git/."""
    socket_path = workdir / "fcgiwrap.sock"
    fcgi = subprocess.Popen(["fcgiwrap", "-c", "4", "-s", f"unix:{socket_path}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port, nginx = _nginx(workdir, "http-backend", f"""
    client_max_body_size 0;
    location ~ ^/git(/.*)$ {{
      fastcgi_request_buffering off;
      fastcgi_buffering off;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT {root};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param REMOTE_USER bench;
      fastcgi_param PATH_INFO $1;
      fastcgi_pass unix:{socket_path};
    }}""")
    base = f"http://127.0.0.1:{port}/git"
    try:
        time.sleep(0.5)
        yield base
    finally:
        nginx.terminate()
        fcgi.terminate()
        nginx.wait(10)
        fcgi.wait(10)


@contextmanager
def git_daemon(root: Path):
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all",
                               "--enable=receive-pack", f"--base-path={root}",
                               f"--port={port}", "--listen=127.0.0.1", str(root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        yield f"git://127.0.0.1:{port}"
    finally:
        daemon.terminate()
        daemon.wait(10)


def timed(run, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def median(values) -> float:
    return statistics.median(values)


def empty_database(uri: str) -> None:
    """Drop everything in the PostgreSQL database at *uri* (a benchmark's
    own), so it starts from an empty schema."""
    engine = sa.create_engine(uri)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def cgit_server(repo: Path, name: str, workdir: Path):
    """Debian's cgit behind nginx and fcgiwrap, serving *repo* as /cgit/<name>/."""
    socket_path = workdir / "cgit-fcgiwrap.sock"
    # A session of its own: fcgiwrap's -c children outlive a TERM to their
    # parent, so the whole group is stopped.
    fcgi = subprocess.Popen(["fcgiwrap", "-c", "4", "-s", f"unix:{socket_path}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    cgitrc = workdir / "cgitrc"
    cgitrc.write_text(f"cache-size=0\nvirtual-root=/cgit/\nenable-index-links=1\n"
                      f"repo.url={name}\nrepo.path={repo}\n")
    port, nginx = _nginx(workdir, "cgit", f"""
    location ~ ^/cgit(/.*)?$ {{
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME /usr/lib/cgit/cgit.cgi;
      fastcgi_param CGIT_CONFIG {cgitrc};
      fastcgi_param PATH_INFO $1;
      fastcgi_param QUERY_STRING $args;
      fastcgi_pass unix:{socket_path};
    }}""")
    try:
        time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/cgit/{name}"
    finally:
        nginx.terminate()
        os.killpg(fcgi.pid, signal.SIGTERM)
        nginx.wait(10)
        fcgi.wait(10)


def _nginx(workdir: Path, name: str, server_body: str) -> tuple[int, subprocess.Popen]:
    """nginx in the foreground on a free port, as root so that its workers
    reach the fcgiwrap socket in our private temporary folder."""
    port = free_port()
    kinds = ("client_body", "fastcgi", "proxy", "uwsgi", "scgi")
    for kind in kinds:
        (workdir / f"{name}-nginx-{kind}").mkdir(exist_ok=True)
    conf = workdir / f"{name}-nginx.conf"
    temp = " ".join(f"{kind}_temp_path {workdir}/{name}-nginx-{kind};" for kind in kinds)
    conf.write_text(f"""
user root;
worker_processes 2;
pid {workdir}/{name}-nginx.pid;
error_log {workdir}/{name}-nginx-error.log;
daemon off;
events {{ worker_connections 256; }}
http {{
  access_log off;
  {temp}
  server {{
    listen 127.0.0.1:{port};
    {server_body}
  }}
}}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(conf)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    return port, nginx
