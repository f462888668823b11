"""Prometheus metrics, served at ``/metrics`` (prometheus-client).

What is measured:

- ``commons_http_request_duration_seconds{endpoint,method,status}``: every
  request, by Flask endpoint name (never the raw path, whose slugs and
  commits would make a series each), method and status class ("2xx"),
  from the first byte in to the response closed, streaming included.
- ``commons_git_transfer_duration_seconds{service,status}``: the git
  transfers themselves, ``service`` "upload-pack" (clone and fetch) or
  "receive-pack" (push), observed when the streamed response closes.
- ``commons_jobs_failed_total{job}`` and
  ``commons_decisions_carried_out_total{kind,status}``: counted by whoever
  runs jobs and decisions (``jobs_failed.labels(job=...).inc()``,
  ``count_decisions(decisions)``).
- ``commons_queue_depth`` and ``commons_queue_failed_jobs``: read from the
  job queue at each scrape through the readers the queue registers with
  ``set_queue_depth_reader`` and ``set_failed_jobs_reader``; absent while
  none is registered.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
folder before starting (prometheus-client's multiprocess mode; the variable
is read when prometheus-client is imported, so it cannot be a ``COMMONS_``
setting). Each process then writes its counts there and ``/metrics`` sums
them; gunicorn.conf.py's ``child_exit`` tells the library when a worker dies.

Who may read ``/metrics``: the addresses in ``METRICS_ALLOW`` (loopback by
default). The numbers name every route's traffic and the queue's backlog,
which is nobody's business but the operators', and a multiprocess scrape
reads a file per process, which anyone could make the server do in a loop.
"""

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, current_app, request, request_started
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

ENDPOINT_KEY = "commons.endpoint"
EXTENSION = "commons.metrics_allow"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Git transfers last from a fraction of a second to many minutes.
GIT_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, float("inf"))
GIT_ENDPOINTS = {"git.upload_pack": "upload-pack", "git.receive_pack": "receive-pack"}

request_duration = Histogram(
    "commons_http_request_duration_seconds",
    "Time from the request in to its response closed, by Flask endpoint.",
    ["endpoint", "method", "status"])
git_transfer_duration = Histogram(
    "commons_git_transfer_duration_seconds",
    "Git smart-HTTP transfers until the streamed response closed: "
    "upload-pack (clone, fetch) and receive-pack (push).",
    ["service", "status"], buckets=GIT_BUCKETS)
jobs_failed = Counter(
    "commons_jobs_failed", "Queued jobs that raised, by job name (a retried job counts each time).",
    ["job"])
render_cache = Counter(
    "commons_render_cache",
    "Look-ups in the rendering cache (highlighted files, READMEs, diffs): hit, miss, "
    "or error (the cache could not be read or written; the page was rendered anyway).",
    ["result"])
decisions_carried_out = Counter(
    "commons_decisions_carried_out",
    "Proposals decided and carried out, by proposal kind and resulting status.",
    ["kind", "status"])


class _Decided(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...


def count_decisions(decisions: Iterable[_Decided]) -> None:
    """Count decisions (governance.deciding.Decision) once they are committed."""
    for decision in decisions:
        decisions_carried_out.labels(kind=decision.kind, status=decision.status).inc()


_readers: dict[str, Callable[[], int]] = {}


def set_queue_depth_reader(reader: Callable[[], int] | None) -> None:
    """Register how to count the jobs waiting in the queue (read at each
    scrape, in whichever process serves /metrics); None forgets it."""
    _set_reader("queue_depth", reader)


def set_failed_jobs_reader(reader: Callable[[], int] | None) -> None:
    """Register how to count the failed jobs the queue keeps (those that
    `flask --app commons jobs failed` lists); None forgets it."""
    _set_reader("failed_jobs", reader)


def _set_reader(name: str, reader: Callable[[], int] | None) -> None:
    if reader is None:
        _readers.pop(name, None)
    else:
        _readers[name] = reader


class _QueueCollector(Collector):
    """Gauges read from the queue's own storage at scrape time: one answer
    for every instance, wherever the workers run."""

    HELP = {"queue_depth": "Jobs waiting in the queue, as its storage counts them.",
            "failed_jobs": "Failed jobs the queue keeps for inspection."}

    def collect(self) -> Iterator[Metric]:
        for name, reader in list(_readers.items()):
            try:
                value = reader()
            except Exception:
                # A scrape still answers; the gap in the series shows it.
                log.warning("metrics: reading %s failed", name, exc_info=True)
                continue
            yield GaugeMetricFamily(f"commons_{name}", self.HELP[name], value=value)


_queue_collector = _QueueCollector()
REGISTRY.register(_queue_collector)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _registry() -> CollectorRegistry:
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_queue_collector)
    return registry


class MetricsMiddleware:
    """Observe each request when its response closes: a git response is
    streamed long after the view returned."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, str] = {}

        def start_noting_status(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"] = status
            return start_response(status, headers, exc_info)

        def observe() -> None:
            elapsed = time.perf_counter() - started
            status = seen.get("status", "500")[:1] + "xx"
            endpoint = environ.get(ENDPOINT_KEY) or "unmatched"
            method = environ.get("REQUEST_METHOD", "")
            request_duration.labels(endpoint=endpoint, method=method if method in METHODS
                                    else "other", status=status).observe(elapsed)
            if service := GIT_ENDPOINTS.get(endpoint):
                git_transfer_duration.labels(service=service, status=status).observe(elapsed)

        body = self.app(environ, start_noting_status)
        # Observed before the app's own close callbacks run (recording a push
        # after git answered): the client's wait, not the server's afterwork.
        return _ObserveFirst(body, observe)


class _ObserveFirst:
    """The app's body, with *observe* called at close before the body's own
    close (werkzeug's ClosingIterator calls it after)."""

    def __init__(self, body: Iterable[bytes], observe: Callable[[], None]):
        self._body = body
        self._observe = observe

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            self._observe()
        finally:
            if (close := getattr(self._body, "close", None)) is not None:
                close()


def _note_endpoint(app: Flask, **_: Any) -> None:
    # Sent once the URL is matched and before any before_request hook, so
    # requests refused early (CSRF, bad input) still carry their endpoint.
    request.environ[ENDPOINT_KEY] = request.endpoint or "unmatched"


def init_app(app: Flask) -> None:
    """Measure every request and serve /metrics."""
    from commons import ConfigurationError

    try:
        app.extensions[EXTENSION] = allow_list(app.config.get("METRICS_ALLOW"))
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    app.wsgi_app = MetricsMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    request_started.connect(_note_endpoint, app)
    app.register_blueprint(bp)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed(remote: str | None, networks: Iterable[Network]) -> bool:
    """Whether the address *remote* is inside one of *networks*."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def allow_list(value: Any) -> list[Network]:
    """METRICS_ALLOW (a list, or addresses separated by commas) as networks;
    ValueError names an entry that is neither an address nor a network."""
    if isinstance(value, str):
        entries = value.split(",")
    elif isinstance(value, list | tuple | set):
        entries = [str(entry) for entry in value]
    else:
        entries = [str(value)] if value else []
    networks = []
    for entry in (entry.strip() for entry in entries):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"COMMONS_METRICS_ALLOW: {entry!r} is not an address or a network; "
                    "list addresses such as 127.0.0.1 or networks such as 10.0.0.0/8, "
                    "e.g. COMMONS_METRICS_ALLOW='[\"127.0.0.1\", \"10.0.0.0/8\"]'.") from None
    return networks


@bp.get("/metrics")
def serve() -> Response:
    if not allowed(request.remote_addr, current_app.extensions[EXTENSION]):
        return Response(
            "Metrics are served only to the addresses in COMMONS_METRICS_ALLOW "
            f"(this request came from {request.remote_addr}). Scrape from one of "
            "them, or add the scraper's address to that setting.\n", 403,
            mimetype="text/plain")
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(_registry()), 200, {"Content-Type": content_type,
                                                "Cache-Control": "no-store"})
