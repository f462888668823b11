"""/metrics from a real gunicorn: request latency by route after real page
views, clones and pushes; several workers summed; scrapers restricted."""

import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from commons.extensions import db
from tests.conftest import start_server, stop_server
from tests.git.conftest import Forge


def scrape(base: str, headers: dict | None = None) -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    request = urllib.request.Request(base + "/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def count(samples: dict, name: str, **labels) -> float:
    return samples.get((name + "_count", tuple(sorted(labels.items()))), 0.0)


def scrape_until_all(base: str, expected: list[tuple[str, dict, float]]) -> dict:
    """Scrape until every (name, labels) count reaches its least value: a
    response is observed when it closes, a moment after the client has read
    its last byte (longer on a busy machine)."""
    deadline = time.monotonic() + 20
    while True:
        samples = scrape(base)
        if all(count(samples, name, **labels) >= at_least
               for name, labels, at_least in expected) or time.monotonic() > deadline:
            return samples
        time.sleep(0.05)


def page(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()


def test_pages_clones_and_pushes_are_timed_by_route(app, live_server, tmp_path):
    forge = Forge(app, live_server, tmp_path / "home")
    (tmp_path / "home").mkdir()
    alice = forge.person("alice")
    slug = forge.project(alice, "solar-dryer", push="direct")
    page(f"{live_server}/projects/{slug}")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.commit(work, "README.md", "# Solar dryer\n", "Describe the dryer")
    forge.git("push", "-q", "origin", "main", cwd=work)
    forge.pushes(1)  # recorded after the push's response closed, so observed

    http, git = "commons_http_request_duration_seconds", "commons_git_transfer_duration_seconds"
    expected = [  # (name, labels, at least)
        (http, {"endpoint": "projects.show", "method": "GET", "status": "2xx"}, 1),
        (http, {"endpoint": "git.info_refs", "method": "GET", "status": "2xx"}, 2),
        (http, {"endpoint": "git.upload_pack", "method": "POST", "status": "2xx"}, 1),
        (http, {"endpoint": "git.receive_pack", "method": "POST", "status": "2xx"}, 1),
        (git, {"service": "upload-pack", "status": "2xx"}, 1),
        (git, {"service": "receive-pack", "status": "2xx"}, 1),
    ]
    samples = scrape_until_all(live_server, expected)
    for name, labels, at_least in expected:
        assert count(samples, name, **labels) >= at_least, (name, labels)
    # One page view, one push: each counted once.
    assert count(samples, http, endpoint="projects.show", method="GET", status="2xx") == 1
    assert count(samples, git, service="receive-pack", status="2xx") == 1
    # Routes, never paths: no label carries the project's slug.
    assert not [key for key in samples if any(slug in value for _, value in key[1])]

    with pytest.raises(urllib.error.HTTPError) as missing:
        page(f"{live_server}/no/such/page")
    assert missing.value.code == 404
    labels = {"endpoint": "unmatched", "method": "GET", "status": "4xx"}
    samples = scrape_until_all(live_server, [(http, labels, 1)])
    assert count(samples, http, **labels) == 1


def test_queue_gauges_read_the_queue_and_the_failed_jobs(make_app, tmp_path):
    # In-process: the readers the job queue registers when the app is made.
    from prometheus_client import REGISTRY

    from commons import jobs, metrics
    from commons.jobs.models import JobFailure
    from commons.types import utcnow

    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    with app.app_context():
        assert REGISTRY.get_sample_value("commons_queue_depth") == 0
        assert REGISTRY.get_sample_value("commons_failed_jobs") == 0
        jobs.enqueue("contributions.reindex", slug="dryer")  # no worker takes it
        db.session.add(JobFailure(job="x", task_id="1", arguments={}, error="boom",
                                  failed_at=utcnow()))
        db.session.commit()
        assert REGISTRY.get_sample_value("commons_queue_depth") == 1
        assert REGISTRY.get_sample_value("commons_failed_jobs") == 1
        metrics.set_failed_jobs_reader(lambda: 1 // 0)  # a broken reader skips its gauge
        assert REGISTRY.get_sample_value("commons_failed_jobs") is None
        assert REGISTRY.get_sample_value("commons_queue_depth") == 1


def worker_pids(server) -> list[int]:
    """gunicorn's workers: the children of its master process."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def test_workers_are_summed_in_multiprocess_mode_even_after_they_exit(
        make_app, database_uri, tmp_path):
    # One worker at a time, so which process answers is certain: the first
    # answers some requests and exits (as with gunicorn's max_requests), its
    # successor answers the rest and the scrape, and reports them all.
    make_app()
    folder = tmp_path / "prometheus"
    folder.mkdir()
    server, base, _ = start_server(database_uri, tmp_path, workers=1,
                                   extra_env={"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    try:
        for _ in range(5):
            page(base + "/healthz")
        [first] = worker_pids(server)
        os.kill(first, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while worker_pids(server) in ([], [first]):
            assert time.monotonic() < deadline, "gunicorn started no new worker"
            time.sleep(0.05)
        for _ in range(3):
            page(base + "/healthz")  # retried by nothing: the new worker answers
        [second] = worker_pids(server)
        assert second != first
        http = "commons_http_request_duration_seconds"
        labels = {"endpoint": "health.healthz", "method": "GET", "status": "2xx"}
        assert count(scrape_until_all(base, [(http, labels, 8)]), http, **labels) == 8
        assert {path.name for path in folder.glob("histogram_*.db")} == {
            f"histogram_{first}.db", f"histogram_{second}.db"}
    finally:
        stop_server(server)


@pytest.mark.server_config(METRICS_ALLOW=["127.0.0.1"], PROXY_FIX={"x_for": 1})
def test_only_allowed_addresses_may_scrape(live_server):
    # The scraper on loopback reads them...
    assert scrape(live_server)
    # ...a client the proxy forwards from outside does not.
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(live_server, {"X-Forwarded-For": "203.0.113.9"})
    assert refused.value.code == 403
    message = refused.value.read().decode()
    assert "COMMONS_METRICS_ALLOW" in message and "203.0.113.9" in message


def test_allowed_scrapers_are_addresses_or_networks(make_app):
    from commons import ConfigurationError

    app = make_app(METRICS_ALLOW="10.0.0.0/8, ::1")  # as COMMONS_METRICS_ALLOW=10.0.0.0/8,::1
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    with pytest.raises(ConfigurationError, match="'prometheus.internal' is not an address"):
        make_app(METRICS_ALLOW=["127.0.0.1", "prometheus.internal"])
