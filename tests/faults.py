"""A TCP proxy the tests can break on purpose, in front of a real server
(PostgreSQL, Redis): open (forwards both ways), closed (nothing listens:
connecting is refused) or black-holed (connections are accepted and never
answered, as when a firewall drops packets or a host vanishes).

A proxy in user space cannot withhold TCP acknowledgements, which is how
a vanished host shows on a connection already open (and what the client's
TCP user timeout notices); so on closing or black-holing, the connections
already forwarded are cut, and the black hole swallows the new ones."""

import socket
import threading
from contextlib import suppress

OPEN, CLOSED, BLACK_HOLED = "open", "closed", "black-holed"


class FaultyProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mode = CLOSED
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ switching

    def open(self) -> None:
        self._cut()
        self.mode = OPEN
        self._listen()

    def close(self) -> None:
        """Nothing listens: connecting is refused."""
        self.mode = CLOSED
        if self._listener is not None:
            # shutdown() first: close() alone leaves the thread blocked in
            # accept() holding the socket, which goes on listening.
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        self._cut()

    def black_hole(self) -> None:
        """Connections are accepted, then nothing is ever sent either way."""
        self._cut()
        self.mode = BLACK_HOLED
        self._listen()

    def stop(self) -> None:
        self.close()

    # ------------------------------------------------------------ workings

    def _listen(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            self._track(client)
            if self.mode == CLOSED:
                self._drop(client)
                continue
            if self.mode != OPEN:
                continue  # black-holed: held open, never read nor answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._drop(client)
                continue
            upstream.settimeout(None)
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(source)
        self._drop(sink)

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.add(connection)

    def _drop(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(connection)
        with suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()

    def _cut(self) -> None:
        with self._lock:
            connections = list(self._sockets)
        for connection in connections:
            self._drop(connection)
