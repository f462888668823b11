"""The gunicorn worker commons is served with (gunicorn.conf.py).

gunicorn's threaded worker (``gthread``) accepts every connection it is
woken for, whether or not one of its threads is free, and keeps it for as
long as the client keeps it alive. Each worker has its own GIL, so a worker
runs Python on one core at most; workers share the listening socket, and
the one the kernel wakes first takes the connection. Under a burst (a load
balancer or a benchmark opening its connections at once) one worker can
take most of them: in bench/load.py's 16 kept-alive connections on 2
workers of 8 threads the split was seen at 14 and 2, 13 and 3, 9 and 7.
The busy worker then queues requests behind its 8 threads on one core
while the other idles: fewer requests a second and a long tail.

``BalancedThreadWorker`` is ``gthread`` except that it takes a new
connection only while one of its threads is free: with all of them
serving, it stops listening, and a new connection waits in the kernel's
queue for whichever worker has a thread first. Connections it already
holds (kept alive) are served as before.
"""

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that leaves new connections to the other
    workers while all its threads are serving."""

    def init_process(self) -> None:
        # Connections handed to the thread pool and not yet finished; only
        # the worker's main thread changes it (enqueue and finish run there).
        self.serving = 0
        super().init_process()

    def enqueue_req(self, conn) -> None:
        self.serving += 1
        if self.serving >= self.cfg.threads:
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:
        # Before gthread's own: it may hand the connection to a thread again
        # (a next request already read), which counts it once more.
        self.serving -= 1
        super().finish_request(conn, fs)

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop asks to listen again whenever it holds fewer
        # connections than worker_connections; only with a thread free.
        super().set_accept_enabled(enabled and self.serving < self.cfg.threads)
