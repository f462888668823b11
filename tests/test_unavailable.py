"""A live server whose database or Redis goes away, through a proxy the test
breaks (tests/faults.py): pages, the API and git answer 503 with
Retry-After while the database cannot be reached, and the same server
answers again once it is back, without a restart. With Redis down, logins
and anonymous clones go on, counted in memory.

The database is PostgreSQL (127.0.0.1:5432, which CI always runs; set
COMMONS_TEST_POSTGRES_URI to use another), whatever the rest of the suite
runs on: only a server over TCP can be closed or black-holed."""

import os
import re
import socket

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from commons import create_app
from commons.extensions import db
from tests.conftest import TEST_PASSWORD, start_server, stop_server
from tests.faults import FaultyProxy
from tests.git.conftest import Forge

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/commons_test"
UNAVAILABLE = "cannot reach its database"
# Short bounds, so a black-holed database answers within seconds.
SHORT_TIMEOUTS = {"COMMONS_DATABASE_CONNECT_TIMEOUT": "2", "COMMONS_DATABASE_POOL_TIMEOUT": "2",
                  "COMMONS_DATABASE_STATEMENT_TIMEOUT": "5",
                  "COMMONS_DATABASE_NETWORK_TIMEOUT": "2",
                  "COMMONS_UNAVAILABLE_RETRY_AFTER": "7"}


@pytest.fixture(scope="module")
def postgres_uri() -> str:
    """A migrated PostgreSQL database of this module's own (one per xdist
    worker), created on the server if missing."""
    uri = os.environ.get("COMMONS_TEST_POSTGRES_URI") or (
        os.environ.get("COMMONS_TEST_DATABASE_URI", "") if os.environ.get(
            "COMMONS_TEST_DATABASE_URI", "").startswith("postgresql") else DEFAULT_POSTGRES)
    url = sa.engine.make_url(uri)
    url = url.set(database=f"{url.database}_unavailable_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": url.database}):
                connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"These tests need PostgreSQL at {url.host}:{url.port} (set "
                    f"COMMONS_TEST_POSTGRES_URI to another server): {error}")
    finally:
        admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    engine = sa.create_engine(rendered)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": rendered,
                      "QUEUE_URL": "immediate"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return rendered


@pytest.fixture
def database_proxy(postgres_uri):
    url = sa.engine.make_url(postgres_uri)
    proxy = FaultyProxy(url.port or 5432, url.host or "127.0.0.1")
    proxy.open()
    yield proxy
    proxy.stop()


@pytest.fixture
def forge_behind_proxy(make_app, postgres_uri, database_proxy, tmp_path):
    """A project with a commit, on a server that reaches PostgreSQL only
    through the proxy; the test's own app reaches it directly."""
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_uri)
    through = sa.engine.make_url(postgres_uri).set(host="127.0.0.1", port=database_proxy.port)
    server, base, log = start_server(through.render_as_string(hide_password=False), tmp_path,
                                     SHORT_TIMEOUTS)
    try:
        home = tmp_path / "home"
        home.mkdir()
        forge = Forge(app, base, home)
        alice = forge.person("alice")
        slug = forge.project(alice, push="direct")
        work = tmp_path / "work"
        forge.git("clone", "-q", forge.url(slug, alice), str(work))
        forge.commit(work, "README", "hello\n", "First")
        forge.git("push", "-q", "origin", "HEAD:main", cwd=work)
        yield forge, slug, server
    finally:
        stop_server(server)


def _answers(forge: Forge, slug: str, target):
    """The page, an API read and an anonymous clone, as the server answers them."""
    page = requests.get(f"{forge.base}/projects/{slug}", timeout=60)
    api = requests.get(f"{forge.base}/api/v1/projects/{slug}", timeout=60)
    clone = forge.git("clone", forge.url(slug), str(target), check=False)
    return page, api, clone


def _assert_unavailable(page, api, clone):
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "7"
    assert page.headers["Content-Type"].startswith("text/html")
    assert UNAVAILABLE in page.text and "Try again" in page.text
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "7"
    assert UNAVAILABLE in api.json()["error"]
    assert clone.returncode != 0
    assert UNAVAILABLE in clone.stderr, clone.stderr


def _assert_available(page, api, clone):
    assert page.status_code == 200
    assert api.status_code == 200 and api.json()["slug"]
    assert clone.returncode == 0, clone.stderr


@pytest.mark.parametrize("fault", ["closed", "black-holed"])
def test_an_unreachable_database_answers_503_and_recovers_without_restart(
        forge_behind_proxy, database_proxy, tmp_path, fault):
    forge, slug, server = forge_behind_proxy
    _assert_available(*_answers(forge, slug, tmp_path / "before"))

    database_proxy.close() if fault == "closed" else database_proxy.black_hole()
    _assert_unavailable(*_answers(forge, slug, tmp_path / "during"))

    database_proxy.open()
    _assert_available(*_answers(forge, slug, tmp_path / "after"))
    assert server.poll() is None  # the same server, never restarted


def test_statement_and_pool_timeouts_reach_postgresql(make_app, postgres_uri):
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_uri, DATABASE_STATEMENT_TIMEOUT=1,
                   DATABASE_POOL_TIMEOUT=0.5,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW statement_timeout")) == "1s"
            # What libpq was given for its own socket (the server's SHOW is its side).
            given = connection.connection.driver_connection.info.get_parameters()
            assert given["tcp_user_timeout"] == "10000" and given["keepalives"] == "1"
            assert given["connect_timeout"] == "5"
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                connection.execute(sa.text("SELECT pg_sleep(3)"))
            connection.rollback()
            # The pool's only connection is taken: the next request gives up.
            with pytest.raises(sa.exc.TimeoutError):
                db.engine.connect()


def test_libpq_options_named_in_the_uri_are_kept_beside_the_timeouts(make_app, postgres_uri):
    """An operator's ?options=-csearch_path%3D... reaches the server with the
    statement timeout, instead of being replaced by it."""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"{postgres_uri}?options=-csearch_path%3Dpublic,elsewhere",
                   DATABASE_STATEMENT_TIMEOUT=2)
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SHOW search_path")) == "public,elsewhere"
            assert connection.scalar(sa.text("SHOW statement_timeout")) == "2s"


# ---------------------------------------------------------------- Redis down

def _nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _form_post(session: requests.Session, base: str, page: str, data: dict, action: str):
    html = session.get(base + page, timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return session.post(base + action, data={"csrf_token": token, **data}, timeout=30,
                        allow_redirects=False)


@pytest.fixture(params=["never-there", "gone-mid-run"])
def redis_port(request):
    """A Redis port where nothing listens, or a proxy to the real Redis
    (COMMONS_TEST_REDIS_URL) that the test closes once the server used it."""
    if request.param == "never-there":
        yield _nothing_listens(), None
        return
    url = os.environ.get("COMMONS_TEST_REDIS_URL")
    if not url:
        pytest.skip("set COMMONS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test "
                    "Redis going away while the server uses it")
    target = sa.engine.make_url(url)
    proxy = FaultyProxy(target.port or 6379, target.host or "127.0.0.1")
    proxy.open()
    yield proxy.port, proxy
    proxy.stop()


def test_with_redis_down_login_and_anonymous_clone_work_counted_in_memory(
        make_app, database_uri, tmp_path, redis_port):
    app = make_app()
    port, proxy = redis_port
    database = sa.engine.make_url(os.environ.get("COMMONS_TEST_REDIS_URL", "redis:///2")).database
    server, base, log = start_server(database_uri, tmp_path, {
        "COMMONS_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/{database or 0}",
        "COMMONS_RATELIMIT_KEY_PREFIX": f"unavailable-{port}",
        "COMMONS_RATELIMIT_STORAGE_TIMEOUT": "1", "COMMONS_LOGIN_RATE_LIMIT": "3 per minute"})
    try:
        home = tmp_path / "home"
        home.mkdir()
        forge = Forge(app, base, home)
        alice = forge.person("alice")
        slug = forge.project(alice)
        if proxy is not None:  # counted in Redis first, then Redis goes away
            first = _form_post(requests.Session(), base, "/login", {
                "login": "alice", "password": TEST_PASSWORD, "next": ""}, "/login")
            assert first.status_code == 302
            proxy.close()

        clone = forge.git("clone", forge.url(slug), str(tmp_path / "anonymous"), check=False)
        assert clone.returncode == 0, clone.stderr

        # Registering is limited by Flask-Limiter, logging in by the
        # password-attempt counter: both fall back to memory.
        visitor = requests.Session()
        registered = _form_post(visitor, base, "/register", {
            "username": "bob", "email": "bob@example.org", "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD}, "/register")
        assert registered.status_code == 302, registered.text
        browser = requests.Session()
        login = _form_post(browser, base, "/login", {"login": "alice", "password": TEST_PASSWORD,
                                                     "next": ""}, "/login")
        assert login.status_code == 302, login.text
        assert "Log out alice" in browser.get(base + "/projects", timeout=30).text

        # The budget is still kept, in memory: the fourth guess is refused.
        guesser = requests.Session()
        answers = [_form_post(guesser, base, "/login", {"login": "alice", "password": "wrong",
                                                        "next": ""}, "/login").status_code
                   for _ in range(4)]
        assert 429 in answers, answers

        text = log.read_text()
        assert "Rate limit storage unreachable" in text
        assert "counted in this process's memory" in text  # password attempts
        assert "falling back to in-memory storage" in text  # Flask-Limiter's limits
    finally:
        stop_server(server)
