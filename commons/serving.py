"""The gunicorn worker commons is served with (gunicorn.conf.py).

gunicorn's threaded worker (``gthread``) accepts every connection it is
woken for, whether or not one of its threads is free, and keeps it for as
long as the client keeps it alive. Each worker has its own GIL, so a worker
runs Python on one core at most; workers share the listening socket, and
the one the kernel wakes first takes the connection. Under a burst (a load
balancer or a benchmark opening its connections at once) one worker can
take most of them: in bench/load.py's 16 kept-alive connections on 2
workers of 8 threads the split was seen at 16 and 0, 14 and 2, 11 and 5.
The busy worker then queues requests behind its 8 threads on one core
while the other idles: fewer requests a second and a long tail.

``BalancedThreadWorker`` is ``gthread`` except that it holds at most as
many connections as it has threads, kept-alive ones included: with that
many it stops listening, and a new connection waits in the kernel's queue
for a worker with room (or for one of this worker's connections to close;
an idle kept-alive one closes after gunicorn's ``keepalive`` seconds).
Counting only the connections being served was not enough: when requests
finish faster than a burst's connections arrive, a worker went on taking
them (5 and 11 of 16 at a load of 11).
"""

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that holds at most one connection per
    thread and leaves the rest to the other workers."""

    def _has_room(self) -> bool:
        # nr_conns: the connections this worker holds (being served, kept
        # alive or waiting for their first bytes); its main thread alone
        # changes it.
        return self.nr_conns < self.cfg.threads

    def accept(self, listener) -> None:
        super().accept(listener)
        if not self._has_room():
            self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop asks to listen again whenever it holds fewer
        # connections than worker_connections; only with room for one.
        super().set_accept_enabled(enabled and self._has_room())
