"""A worker streams at most its share of git transfers (gunicorn.conf.py):
one more is told to try again, and the threads kept back serve pages."""

import base64
import select
import socket
import time
import urllib.request
from urllib.parse import urlsplit

from commons.git.pktline import FLUSH, pkt_line
from tests.conftest import start_server, stop_server
from tests.git.conftest import Forge

BUSY = "commons is serving as many clones and pushes as it can right now"


def test_a_transfer_past_the_workers_share_is_refused_while_pages_answer(
        app, database_uri, server_env, tmp_path):
    # Two threads: one may stream git, the other is kept for pages.
    server, base, _ = start_server(database_uri, tmp_path, server_env, threads=2)
    try:
        home = tmp_path / "home"
        home.mkdir()
        forge = Forge(app, base, home)
        alice = forge.person("alice")
        slug = forge.project(alice)
        parts = urlsplit(base)
        credentials = base64.b64encode(f"alice:{alice.token}".encode()).decode()
        # A push whose pack never comes: git waits for it, and the push
        # holds the worker's one transfer slot until the connection closes.
        with _hold_a_push(parts, slug, credentials):
            refused = _until(lambda: forge.git("ls-remote", forge.url(slug), check=False),
                             lambda result: result.returncode != 0)
            assert "503" in refused.stderr and BUSY in refused.stderr, refused.stderr
            with urllib.request.urlopen(base + f"/projects/{slug}", timeout=30) as page:
                assert page.status == 200
        # Once the held push is gone, git is served again.
        listed = _until(lambda: forge.git("ls-remote", forge.url(slug), check=False),
                        lambda result: result.returncode == 0)
        assert "refs/heads/main" in listed.stdout
        assert forge.server_ref(slug, "refs/heads/held") is None
    finally:
        stop_server(server)


def _hold_a_push(parts, slug: str, credentials: str) -> socket.socket:
    """A connection whose push holds the transfer slot. The slot of the
    setup's own git requests comes back once the server has closed their
    answers, which may be just after git has read them: a push sent in
    that moment is told to try again, as any client would be, and does."""
    command = pkt_line(f"{'0' * 40} {'1' * 40} refs/heads/held\0report-status\n".encode())
    deadline = time.monotonic() + 30
    while True:
        held = socket.create_connection((parts.hostname, parts.port))
        held.sendall((f"POST /projects/{slug}.git/git-receive-pack HTTP/1.1\r\n"
                      f"Host: {parts.netloc}\r\nAuthorization: Basic {credentials}\r\n"
                      "Content-Type: application/x-git-receive-pack-request\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n").encode())
        held.sendall(f"{len(command + FLUSH):x}\r\n".encode() + command + FLUSH + b"\r\n")
        answered, _, _ = select.select([held], [], [], 1)
        if not answered:
            return held  # git is waiting for the pack: the slot is held
        answer = held.recv(65536)
        held.close()
        assert b" 503 " in answer and BUSY.encode() in answer, answer
        assert time.monotonic() < deadline, "the setup's transfer slot never came back"
        time.sleep(0.1)


def _until(attempt, done, seconds: float = 30):
    """attempt() again until done(answer) or *seconds* pass; the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = attempt()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)
