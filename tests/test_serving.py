"""The gunicorn worker commons is served with (commons/serving.py), in a
real gunicorn: a worker whose threads are all busy leaves new connections
to a worker with a thread free, instead of queueing them behind its own."""

import socket
import urllib.request
from urllib.parse import urlsplit

from tests.conftest import start_server, stop_server


def test_a_worker_with_every_thread_busy_leaves_new_connections_to_the_others(
        app, database_uri, server_env, tmp_path):
    # Two workers of one thread each.
    server, base, _ = start_server(database_uri, tmp_path, server_env, workers=2, threads=1)
    parts = urlsplit(base)
    try:
        # A client that sends half a request and stops holds the thread of
        # the worker that took it for as long as it stays connected.
        held = socket.create_connection((parts.hostname, parts.port))
        held.sendall(f"GET /projects HTTP/1.1\r\nHost: {parts.netloc}\r\n".encode())
        try:
            # The kernel hands out connections in the order they came, so
            # the held one was taken before the first of these. Each is
            # served by the other worker; a worker that took one while its
            # only thread is held would leave it unanswered until the held
            # client goes (gthread's own worker did, about every other time).
            for _ in range(12):
                with urllib.request.urlopen(base + "/projects", timeout=20) as page:
                    assert page.status == 200
        finally:
            held.close()
    finally:
        stop_server(server)
