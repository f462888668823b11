"""The job queue with a real worker process (`flask --app commons worker`)
on a SQLite file and on Redis: a job enqueued by a command runs, a job
that keeps failing is retried then listed, and an administrator can put it
back from the CLI or /admin/jobs."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import jobs
from commons.extensions import db
from commons.git.models import Commit
from commons.jobs import enqueue_after_commit, queue_of
from commons.jobs.models import JobFailure
from commons.jobs.registry import JOBS
from tests.conftest import Browser
from tests.contributions.test_identities import T0, Repos, git

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    # Its own queue name per test: runs on one Redis never see each other's jobs.
    return f"{request.getfixturevalue('redis_url')}?name={uuid.uuid4().hex}"


@pytest.fixture
def queued_app(make_app, queue_url):
    url, _, name = queue_url.partition("?name=")
    app = make_app(QUEUE_URL=url, QUEUE_NAME=name or "commons", QUEUE_RETRIES=1,
                   QUEUE_RETRY_DELAY=0.2, ADMINS=["ruth"])
    yield app
    with app.app_context():
        queue_of().huey.flush()


def start_worker(app, tmp_path: Path, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "COMMONS_REPOS_DIR": app.config["REPOS_DIR"],
           "COMMONS_QUEUE_URL": app.config["QUEUE_URL"],
           "COMMONS_QUEUE_NAME": app.config["QUEUE_NAME"],
           "COMMONS_QUEUE_RETRIES": "1", "COMMONS_QUEUE_RETRY_DELAY": "0.2",
           "COMMONS_MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
           "COMMONS_SECRET_KEY": "worker", **(extra_env or {})}
    with open(tmp_path / "worker.log", "w") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "commons", "worker"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGINT)  # finish what is under way, then stop
    try:
        worker.wait(15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(check, tmp_path: Path, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()  # see what the worker committed
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen; worker log:\n"
                         + (tmp_path / "worker.log").read_text())


def test_a_worker_runs_what_a_command_enqueued(queued_app, tmp_path):
    runner = queued_app.test_cli_runner()
    with queued_app.app_context():
        repos = Repos(queued_app, tmp_path)
        project = repos.project(repos.person("ada"))
        count = sa.select(sa.func.count()).select_from(Commit)
        before = db.session.scalar(count)
        work = repos.clone(project)
        repos.commit(work, "Ada <ada@example.org>", "First", {"a.txt": "a\n"})
        git("push", "-q", "origin", "HEAD:main", cwd=work)  # not through commons
        result = runner.invoke(args=["contributions", "reindex", "dryer", "--in-background"])
        assert result.exit_code == 0, result.output
        assert "on the job queue" in result.output
        assert db.session.scalar(count) == before
        assert "waiting: 1" in runner.invoke(args=["jobs", "status"]).output

        worker = start_worker(queued_app, tmp_path)
        try:
            wait_for(lambda: db.session.scalar(count) == before + 1, tmp_path,
                     "indexing the pushed commit")
        finally:
            stop(worker)
        assert "waiting: 0" in runner.invoke(args=["jobs", "status"]).output


def test_a_job_that_keeps_failing_is_listed_and_can_be_put_back(queued_app, tmp_path):
    runner, client = queued_app.test_cli_runner(), queued_app.test_client()
    with queued_app.app_context():
        repos = Repos(queued_app, tmp_path)
        repos.person("ruth")
        repos.person("bob")
        # No project has this slug: the job fails, is tried once more, then kept.
        jobs.enqueue("contributions.reindex", slug="no-such-project")
        worker = start_worker(queued_app, tmp_path)
        try:
            failure = wait_for(lambda: db.session.scalar(sa.select(JobFailure)), tmp_path,
                               "recording the failed job")
        finally:
            stop(worker)
        assert failure.job == "contributions.reindex"
        assert failure.arguments == {"slug": "no-such-project"}
        assert "no-such-project" in failure.error
        assert "1 retries left" in (tmp_path / "worker.log").read_text()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFailure)) == 1

    listed = runner.invoke(args=["jobs", "failed"])
    assert f"{failure.id}\t" in listed.output and "contributions.reindex" in listed.output

    anonymous = client.get("/admin/jobs")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    browser = Browser(client)
    browser.login("bob", password="x" * 12)
    assert client.get("/admin/jobs").status_code == 403
    assert browser.submit("/settings", {},
                          action=f"/admin/jobs/failed/{failure.id}/retry").status_code == 403
    browser.logout()
    browser.login("ruth", password="x" * 12)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "contributions.reindex" in page and "no-such-project" in page
    answer = browser.submit("/admin/jobs", {}, action=f"/admin/jobs/failed/{failure.id}/retry",
                            follow_redirects=True)
    assert "is back on the queue" in answer.get_data(as_text=True)
    with queued_app.app_context():
        assert queue_of().huey.pending_count() == 1
        assert runner.invoke(args=["jobs", "failed"]).output.startswith("No failed jobs.")
        assert runner.invoke(args=["jobs", "retry", str(failure.id)]).exit_code == 1


def test_a_job_waits_for_the_commit_it_needs(queued_app):
    with queued_app.test_request_context():
        queue = queue_of()
        db.session.add(JobFailure(job="x", task_id="1", arguments={}, error="",
                                  failed_at=T0))
        enqueue_after_commit(db.session, "contributions.reindex", slug="dryer")
        db.session.rollback()
        db.session.commit()  # a later commit does not bring back what rolled back
        assert queue.huey.pending_count() == 0
        db.session.add(JobFailure(job="x", task_id="1", arguments={}, error="",
                                  failed_at=T0))
        enqueue_after_commit(db.session, "contributions.reindex", slug="dryer")
        assert queue.huey.pending_count() == 0
        db.session.commit()
        assert queue.huey.pending_count() == 1


def test_a_worker_refuses_an_immediate_queue(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "nothing for a worker to do" in result.output


def test_periodic_jobs_run_as_the_worker_would(app, runner):
    """The periodic jobs are bound and run (an immediate queue runs them
    when called); each one is safe to run at any moment."""
    periodic = {name for name, spec in JOBS.items() if spec.periodic is not None}
    assert "api.prune_idempotency_keys" in periodic
    with app.app_context():
        for name in sorted(periodic):
            queue_of().tasks[name]()
