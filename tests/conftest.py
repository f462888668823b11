"""Fixtures: a migrated database (SQLite, or PostgreSQL when
COMMONS_TEST_DATABASE_URI names one), an app per test with its own
repository folder, and helpers that go through the real forms with CSRF."""

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from commons import create_app
from commons.extensions import db
from tests.mailbox import SMTPServer, outbox_messages, text_of

TEST_PASSWORD = "correct horse battery staple"
# Production hashes with scrypt, ~75 ms of CPU per hash or check; the suite
# hashes thousands of times, and one round of PBKDF2 checks the same code
# paths (tests/accounts/test_password_hashing.py keeps production strong).
CHEAP_HASH_METHOD = "pbkdf2:sha256:1"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    # Under pytest-xdist each worker has its own database: a SQLite file in
    # its own temporary folder, or test_<name>_gwN beside the one named.
    uri = os.environ.get("COMMONS_TEST_DATABASE_URI") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'commons-test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
    if uri.startswith("postgresql") and worker:
        uri = _worker_database(uri, worker)
    if uri.startswith("postgresql"):
        engine = sa.create_engine(uri)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": uri,
                      "QUEUE_URL": "immediate", "CACHE_URL": "null"})
    with app.app_context():
        upgrade()  # the real migrations, not create_all
        db.engine.dispose()
    return uri


def _worker_database(uri: str, worker: str) -> str:
    """The PostgreSQL database *uri* names with _<worker> appended, created
    on first use on the same server."""
    url = sa.engine.make_url(uri)
    name = f"{url.database}_{worker}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def make_app(database_uri, tmp_path):
    apps = []

    def make(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "PASSWORD_HASH_METHOD": CHEAP_HASH_METHOD,
            "REPOS_DIR": str(tmp_path / "repos"),
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            # Without MAIL_SERVER (the smtp fixture gives one) mails are
            # written here, never to the checkout's instance folder.
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            # Jobs run where they are enqueued, as before the queue existed;
            # tests of the queue itself name a real one.
            "QUEUE_URL": "immediate",
            # The rendering cache in a folder of the test's own.
            "CACHE_URL": str(tmp_path / "render-cache"),
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps[:1]:
        with app.app_context():
            _empty_tables()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def repos_dir(app) -> Path:
    return Path(app.config["REPOS_DIR"])


def worker_decides(app) -> None:
    """Do now what the worker does at each close: run the governance.sweep
    job (QUEUE_URL=immediate runs it here, at the app's CLOCK). Tests whose
    clock jumps past a close call it, as pages and the API never decide."""
    from commons import jobs
    with app.app_context():
        jobs.enqueue("governance.sweep")


def _empty_tables() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Browser:
    """Drives the test client the way a person does: open the page, fill in
    the form (its CSRF token included), send it."""

    def __init__(self, client, mailbox: SMTPServer | None = None):
        self.client = client
        self.mailbox = mailbox  # where its mail arrives (the smtp fixture), else the outbox

    def submit(self, page: str, data: dict, action: str | None = None, **kwargs):
        html = self.client.get(page).get_data(as_text=True)
        return self.client.post(action or page, data={"csrf_token": csrf_token(html), **data},
                                **kwargs)

    def register(self, username="alice", email=None, password=TEST_PASSWORD, confirm=True):
        """Register; then, as the person would, open the link mailed to the
        address (*confirm*), so its commits map to them. A registration that
        is refused mails nothing and confirms nothing."""
        address = email or f"{username}@example.org"
        response = self.submit("/register", {
            "username": username, "email": address, "password": password, "confirm": password,
        })
        if confirm and response.status_code == 302:
            self.confirm(address)
        return response

    def confirm(self, address: str):
        """Open the newest confirmation link mailed to *address*."""
        link = confirmation_link(self.client.application, address, self.mailbox)
        assert link, f"no confirmation link was mailed to {address}"
        return self.client.get(urlsplit(link).path)

    def login(self, login="alice", password=TEST_PASSWORD, next_url=None):
        page = "/login" + (f"?next={next_url}" if next_url else "")
        return self.submit(page, {"login": login, "password": password,
                                  "next": next_url or ""}, action="/login")

    def logout(self):
        return self.submit("/settings", {}, action="/logout")

    def create_project(self, **fields):
        data = {"name": "Solar dryer", "slug": "solar-dryer", "license": "CERN-OHL-S-2.0",
                "description": "A solar food dryer anyone can build.",
                "push": "review", "admission": "open", **fields}
        return self.submit("/projects/new", data)

    def button(self, page: str, action: str):
        return self.submit(page, {}, action=action)


def mails_to(app, address: str, mailbox: SMTPServer | None = None) -> list[tuple[str, str]]:
    """(subject, plain text) of every mail sent to *address*, oldest first:
    from *mailbox* (the smtp fixture) or the app's outbox folder."""
    messages = mailbox.messages if mailbox is not None else outbox_messages(app)
    return [(str(m["Subject"]), text_of(m)) for m in messages
            if str(m["To"]).lower() == address.lower()]


# The outbox folder of each live server (start_server writes its mail there),
# by base URL, so a browser test can open what was mailed.
SERVER_OUTBOXES: dict[str, Path] = {}


def server_confirmation_link(base: str, address: str) -> str | None:
    """The newest confirmation link the live server at *base* mailed to *address*."""
    app = type("Outbox", (), {"config": {"MAIL_OUTBOX_DIR": str(SERVER_OUTBOXES[base])}})
    return confirmation_link(app, address)


def confirmation_link(app, address: str, mailbox: SMTPServer | None = None) -> str | None:
    """The newest confirmation link mailed to *address*, if any."""
    for _subject, text in reversed(mails_to(app, address, mailbox)):
        if match := re.search(r"https?://\S+/settings/emails/confirm/\S+", text):
            return match.group(0)
    return None


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def second_browser(app) -> Browser:
    return Browser(app.test_client())

def basic(username: str, password: str) -> dict:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(client, runner):
    """Create an account with the CLI and a token through the API."""
    def make(username: str) -> str:
        result = runner.invoke(args=["users", "create", username, f"{username}@example.org",
                                     "--password", TEST_PASSWORD])
        assert result.exit_code == 0, result.output
        response = client.post("/api/v1/tokens", json={"name": "tests"},
                               headers=basic(username, TEST_PASSWORD))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]
    return make


@pytest.fixture
def redis_url() -> str:
    """The Redis the suite may use (.ci/run sets COMMONS_TEST_REDIS_URL);
    tests that need one say so when it is not set."""
    url = os.environ.get("COMMONS_TEST_REDIS_URL")
    if not url:
        pytest.skip("set COMMONS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run "
                    "the tests that need Redis")
    return url


@pytest.fixture
def smtp():
    """A real SMTP server on a free port; ``make_app(**smtp.config)`` sends
    to it, and ``smtp.messages`` holds what arrived (tests/mailbox.py)."""
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def server_env() -> dict:
    """Extra COMMONS_* settings for the live server; override it in a test
    module (or parametrize it) to serve with other settings."""
    return {}


def start_server(database_uri: str, folder: Path, extra_env: dict | None = None,
                 workers: int = 1, threads: int | None = None):
    """commons under gunicorn, as in production, on a free port. Returns the
    process, its base URL and its log file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
        "COMMONS_SQLALCHEMY_DATABASE_URI": database_uri,
        "COMMONS_REPOS_DIR": str(folder / "repos"),
        "COMMONS_EVIDENCE_DIR": str(folder / "evidence"),
        "COMMONS_MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "COMMONS_SECRET_KEY": "e2e-secret",
        "COMMONS_PASSWORD_HASH_METHOD": CHEAP_HASH_METHOD,
        "COMMONS_BASE_URL": f"http://127.0.0.1:{port}",  # clone URLs on its pages
        "COMMONS_QUEUE_URL": "immediate",
        "COMMONS_CACHE_URL": str(folder / "render-cache"),
        **(extra_env or {}),
    }
    log_path = folder / f"server-{port}.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers),
         *(["--threads", str(threads)] if threads else []),  # else gunicorn.conf.py's
         "--bind", f"127.0.0.1:{port}", "commons:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/projects", timeout=1)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the server did not start:\n" + log_path.read_text()) from None
            time.sleep(0.2)
    return server, base, log_path


def stop_server(server) -> None:
    server.terminate()
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        # Under libfaketime (the clock-ahead pass) gunicorn may not finish a
        # graceful stop; its workers share its process group.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


@pytest.fixture
def live_server(make_app, database_uri, tmp_path, server_env, request):
    """commons under gunicorn on a free port; it shares the test's database
    and repository folder. A test marked ``@pytest.mark.server_config(NAME=value)``
    runs it with those settings."""
    make_app()  # empties the tables after the test, like every other test
    marker = request.node.get_closest_marker("server_config")
    extra = {**server_env, **{f"COMMONS_{name}": json.dumps(value)
                              for name, value in (marker.kwargs if marker else {}).items()}}
    server, base, _ = start_server(database_uri, tmp_path, extra)
    SERVER_OUTBOXES[base] = tmp_path / "outbox"
    yield base
    SERVER_OUTBOXES.pop(base, None)
    stop_server(server)
