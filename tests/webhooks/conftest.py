"""A real HTTP receiver for webhooks: a threaded http.server on 127.0.0.1
that records every request and answers as the test tells it (a status, or
silence past the sender's timeout)."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from commons.webhooks import rules


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Where hooks point: ``url``; what came: ``requests``; how to answer:
    ``answers`` (consumed one per request; ``("sleep", s)`` waits *s*
    seconds before answering 200; once empty, 200)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} requests arrived, "
                                         f"expected {count}")
                self.arrived.wait(left)
        return list(self.requests)

    @staticmethod
    def signed(request: Received, secret: str) -> bool:
        return rules.verify(secret, request.body, request.headers["X-Commons-Signature"])


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.arrived:
                answer = state.answers.pop(0) if state.answers else 200
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                state.arrived.notify_all()
            if isinstance(answer, tuple):  # ("sleep", seconds): past the timeout
                time.sleep(answer[1])
                answer = 200
            try:
                self.send_response(answer)
                if 300 <= answer < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
