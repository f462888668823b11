"""Password guesses are counted before they are checked, per client and per
account, however many arrive at once: a real server, many threads."""

import base64
import http.cookiejar
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import start_server, stop_server
from tests.git.conftest import Forge

LIMIT = 10
GUESSES = 40
MATCH_FAILED = "do not match"  # what every channel says after checking a password


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """Where the server counts attempts, and the key prefix of this test."""
    prefix = f"commons-test-{uuid.uuid4().hex}"
    if request.param == "memory":
        yield "memory://", prefix
        return
    url = os.environ.get("COMMONS_TEST_REDIS_URL")
    if not url:
        pytest.skip("set COMMONS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test "
                    "attempts counted in Redis")
    yield url, prefix
    import redis
    connection = redis.Redis.from_url(url)
    keys = connection.keys(f"*{prefix}*")
    if keys:
        connection.delete(*keys)


@pytest.fixture
def server_env(storage):
    url, prefix = storage
    return {"COMMONS_RATELIMIT_STORAGE_URI": url, "COMMONS_RATELIMIT_KEY_PREFIX": prefix,
            "COMMONS_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
            "COMMONS_ACCOUNT_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
            # Each thread below plays another client through X-Forwarded-For.
            "COMMONS_PROXY_FIX": json.dumps({"x_for": 1})}


def _answer(request: urllib.request.Request, opener=None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def guess_by_git(base: str, username: str, client: str) -> tuple[int, str]:
    # What git sends first when it pushes with credentials in the URL.
    request = urllib.request.Request(
        f"{base}/projects/dryer.git/info/refs?service=git-receive-pack",
        headers={"Authorization": _basic(username, "not the password"),
                 "X-Forwarded-For": client})
    return _answer(request)


def guess_by_token_api(base: str, username: str, client: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{base}/api/v1/tokens", data=b'{"name": "guess"}', method="POST",
        headers={"Authorization": _basic(username, "not the password"),
                 "Content-Type": "application/json", "X-Forwarded-For": client})
    return _answer(request)


def guess_by_login_form(base: str, username: str, client: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, page = _answer(urllib.request.Request(f"{base}/login",
                                             headers={"X-Forwarded-For": client}), opener)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "login": username,
                                   "password": "not the password", "next": ""}).encode()
    return _answer(urllib.request.Request(
        f"{base}/login", data=form, method="POST",
        headers={"X-Forwarded-For": client}), opener)


def _fire(guess, base: str, pairs: list[tuple[str, str]]) -> list[tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        return list(pool.map(lambda pair: guess(base, *pair), pairs))


def _checked(answers: list[tuple[int, str]]) -> int:
    statuses = {status for status, _ in answers}
    assert statuses <= {401, 429}, statuses
    for status, body in answers:
        if status == 429:
            assert "Too many" in body and "try again" in body, body
    return sum(1 for status, body in answers if status == 401 and MATCH_FAILED in body)


@pytest.mark.parametrize("guess", [guess_by_git, guess_by_token_api, guess_by_login_form],
                         ids=["git", "token-api", "login-form"])
def test_concurrent_guesses_are_counted_before_they_are_checked(app, live_server, tmp_path,
                                                               guess):
    forge = Forge(app, live_server, tmp_path)
    alice = forge.person("alice")
    forge.project(alice, "dryer")
    base = forge.base

    # One client guessing many accounts at once: LIMIT guesses checked.
    answers = _fire(guess, base, [(f"user{n}", "198.51.100.7") for n in range(GUESSES)])
    assert _checked(answers) == LIMIT

    # Many clients guessing one account at once: LIMIT guesses checked.
    answers = _fire(guess, base, [("alice", f"203.0.113.{n + 1}") for n in range(GUESSES)])
    assert _checked(answers) == LIMIT


@pytest.mark.parametrize("workers, storage_uri, warned", [
    (2, "memory://", True),
    (1, "memory://", False),
    (2, "redis", False),
], ids=["several-workers-in-memory", "one-worker-in-memory", "several-workers-redis"])
def test_serving_several_workers_counting_in_memory_is_warned_about(
        make_app, database_uri, tmp_path, workers, storage_uri, warned):
    if storage_uri == "redis":
        storage_uri = os.environ.get("COMMONS_TEST_REDIS_URL") or pytest.skip(
            "set COMMONS_TEST_REDIS_URL to serve with attempts counted in Redis")
    make_app()
    server, base, log = start_server(database_uri, tmp_path, workers=workers,
                                     extra_env={"COMMONS_RATELIMIT_STORAGE_URI": storage_uri})
    # A worker warns before it takes its first request, and one has answered.
    stop_server(server)
    text = log.read_text()
    assert ("separately in each of the 2 workers" in text) is warned, text
    assert ("COMMONS_RATELIMIT_STORAGE_URI=redis://" in text) is warned


def test_git_counts_passwords_not_tokens(make_app, tmp_path):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    forge = Forge(app, "http://localhost", tmp_path)
    alice = forge.person("alice")
    forge.project(alice, "dryer")
    client = app.test_client()

    def push_with(secret: str):
        return client.get("/projects/dryer.git/info/refs?service=git-receive-pack",
                          headers={"Authorization": _basic("alice", secret)})

    # A script pushing with a token is never slowed down...
    assert all(push_with(alice.token).status_code == 200 for _ in range(5))
    # ...while password guesses run out, and git prints why.
    assert [push_with("not the password").status_code for _ in range(2)] == [401, 401]
    refused = push_with(alice.password)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    text = refused.get_data(as_text=True)
    assert "Too many attempts with a password" in text and "personal access token" in text
    assert push_with(alice.token).status_code == 200
