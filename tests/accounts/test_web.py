"""Register, log in, log out and settings through the real forms, with CSRF
protection on."""

import re

import sqlalchemy as sa

from commons.accounts.models import AccessToken, Email, User
from commons.extensions import db
from tests.conftest import TEST_PASSWORD, Browser, csrf_token, mails_to


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_register_logs_in_and_stores_a_hashed_password(app, browser):
    response = browser.register("alice")
    assert response.status_code == 302
    page = browser.client.get("/projects").get_data(as_text=True)
    assert "Welcome, alice" in page and "Log out alice" in page
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.username == "alice" and user.primary_email == "alice@example.org"
        assert TEST_PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_username_is_lowercased(app, browser):
    browser.register("Alice")
    with app.app_context():
        assert db.session.scalar(sa.select(User.username)) == "alice"


def test_duplicate_username_comes_back_with_the_form_filled_in(app, browser, second_browser):
    browser.register("alice")
    response = second_browser.register("alice", email="other@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The username “alice” is taken" in html
    assert 'value="other@example.org"' in html
    assert count(app, User) == 1


def test_a_taken_email_is_not_revealed_and_its_owner_is_told(app, browser, second_browser):
    browser.register("alice", email="alice@example.org")
    free = Browser(app.test_client()).register("carol", email="carol@example.org",
                                               confirm=False)
    taken = second_browser.register("bob", email="ALICE@Example.org", confirm=False)
    # The same answer as for a free address, told in the same words.
    assert (taken.status_code, taken.location) == (free.status_code, free.location) == \
        (302, "/projects")
    page = second_browser.client.get("/projects").get_data(as_text=True)
    assert "Welcome, bob. We sent a link to alice@example.org: open it" in page
    # Alice hears of it; no link that could confirm it is mailed for bob.
    subjects = [subject for subject, _text in mails_to(app, "alice@example.org")]
    assert subjects[-1] == "Someone tried to use your address on commons"
    assert subjects.count("Confirm your address on commons") == 1  # alice's own
    with app.app_context():
        rows = db.session.execute(sa.select(User.username, Email.confirmed_at).join(Email)
                                  .where(Email.address == "alice@example.org")
                                  .order_by(User.username)).all()
    assert [(name, at is not None) for name, at in rows] == [("alice", True), ("bob", False)]
    # The address logs in alice only.
    assert second_browser.login("ALICE@example.org").status_code == 302
    assert "Log out alice" in second_browser.client.get("/projects").get_data(as_text=True)


def test_bad_registration_fields_each_say_what_to_do(app, browser):
    cases = [
        ({"username": "bad name"}, "lowercase letters, digits and hyphens"),
        ({"username": "x" * 60}, "Field cannot be longer than 39 characters"),
        ({"email": "not-an-email"}, "not valid"),
        ({"password": "short", "confirm": "short"}, "at least 10 characters"),
        ({"confirm": "something else entirely"}, "The two passwords differ"),
        ({"username": "ev\u202eil"}, "lowercase letters"),
        ({"username": ""}, "This field is required"),
    ]
    for change, message in cases:
        data = {"username": "carol", "email": "carol@example.org",
                "password": TEST_PASSWORD, "confirm": TEST_PASSWORD, **change}
        response = browser.submit("/register", data)
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert count(app, User) == 0


def test_non_utf8_form_data_is_refused_not_crashed(app, browser):
    html = browser.client.get("/register").get_data(as_text=True)
    token = csrf_token(html)
    # Percent-encoded bytes that are not UTF-8 arrive as text that fails the rules.
    body = (f"csrf_token={token}&username=carol%C3%28&email=carol%40example.org"
            f"&password={TEST_PASSWORD}&confirm={TEST_PASSWORD}").encode()
    response = browser.client.post(
        "/register", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "lowercase letters, digits and hyphens" in response.get_data(as_text=True)
    # Raw bytes that are not UTF-8 make the body unreadable: a 400 that says so.
    body = (f"csrf_token={token}&username=carol\xff&email=c%40example.org").encode("latin-1")
    response = browser.client.post(
        "/register", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "could not be read; send it as UTF-8 text" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_missing_csrf_token_is_refused_with_a_clear_message(app, client):
    response = client.post("/register", data={
        "username": "mallory", "email": "m@example.org",
        "password": TEST_PASSWORD, "confirm": TEST_PASSWORD})
    assert response.status_code == 400
    assert "security token is missing or stale" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_login_with_wrong_password_is_refused(app, browser, second_browser):
    browser.register("alice")
    response = second_browser.login("alice", "wrong password!")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "do not match" in html and 'value="alice"' in html
    assert second_browser.login("nobody", "wrong password!").status_code == 401


def test_login_by_username_or_email_then_logout(app, browser, second_browser):
    browser.register("alice")
    assert second_browser.login("alice").status_code == 302
    assert "Log out alice" in second_browser.client.get("/projects").get_data(as_text=True)
    assert second_browser.logout().status_code == 302
    assert "Log in" in second_browser.client.get("/projects").get_data(as_text=True)
    assert second_browser.login("ALICE@example.org").status_code == 302


def test_login_follows_a_local_next_url_only(app, browser, second_browser):
    browser.register("alice")
    response = second_browser.login("alice", next_url="/settings")
    assert response.location == "/settings"
    second_browser.logout()
    response = second_browser.login("alice", next_url="https://evil.example/")
    assert response.location == "/projects"


def test_pages_that_need_login_send_you_to_it(client):
    response = client.get("/settings")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_login_attempts_are_rate_limited(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    browser = Browser(app.test_client())
    statuses = [browser.login("alice", "wrong password!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    response = browser.login("alice", "wrong password!")
    assert "Too many attempts" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


def test_add_and_remove_email_addresses(app, browser):
    browser.register("alice")
    response = browser.submit("/settings", {"email": "Alice@Work.example"}, action="/settings/emails")
    assert response.status_code == 302
    page = browser.client.get("/settings").get_data(as_text=True)
    assert "alice@work.example" in page and "We sent a link to it" in page
    with app.app_context():
        work = db.session.scalar(sa.select(Email).where(Email.address == "alice@work.example"))
        first = db.session.scalar(sa.select(Email).where(Email.address == "alice@example.org"))
    # The only confirmed address stays until another is confirmed: mail goes there.
    browser.button("/settings", f"/settings/emails/{first.id}/delete")
    assert "only confirmed address" in browser.client.get("/settings").get_data(as_text=True)
    browser.confirm("alice@work.example")
    browser.button("/settings", f"/settings/emails/{first.id}/delete")
    assert "Removed alice@example.org" in browser.client.get("/settings").get_data(as_text=True)
    # The last address stays: it is how commits are credited.
    browser.button("/settings", f"/settings/emails/{work.id}/delete")
    assert "only email address" in browser.client.get("/settings").get_data(as_text=True)
    assert count(app, Email) == 1


def test_an_email_cannot_be_claimed_twice(app, browser, second_browser):
    browser.register("alice")
    second_browser.register("bob")
    response = second_browser.submit("/settings", {"email": "alice@example.org"},
                                     action="/settings/emails")
    # Answered as for any address; alice is told, and bob's claim stays unconfirmed.
    assert response.status_code == 302
    assert "We sent a link to it" in second_browser.client.get("/settings").get_data(as_text=True)
    assert mails_to(app, "alice@example.org")[-1][0] == \
        "Someone tried to use your address on commons"
    response = browser.submit("/settings", {"email": "alice@example.org"}, action="/settings/emails")
    assert "already on your account" in response.get_data(as_text=True)


def test_you_cannot_remove_someone_elses_email(app, browser, second_browser):
    browser.register("alice")
    second_browser.register("bob")
    second_browser.submit("/settings", {"email": "bob2@example.org"}, action="/settings/emails")
    with app.app_context():
        alices = db.session.scalar(sa.select(Email.id).where(Email.address == "alice@example.org"))
    second_browser.button("/settings", f"/settings/emails/{alices}/delete")
    assert "not on your account" in second_browser.client.get("/settings").get_data(as_text=True)
    assert count(app, Email) == 3


def test_token_is_shown_once_stored_hashed_listed_and_revoked(app, browser):
    browser.register("alice")
    response = browser.submit("/settings", {"name": "laptop", "expires_in_days": "30"},
                              action="/settings/tokens")
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    secret = re.search(r'<code class="token" id="new-token">([^<]+)</code>', html).group(1)
    assert secret.startswith("cmn_")
    page = browser.client.get("/settings").get_data(as_text=True)
    assert secret not in page and "laptop" in page and secret[:8] in page
    with app.app_context():
        token = db.session.scalar(sa.select(AccessToken))
        assert token.token_hash != secret and secret not in token.token_hash
        assert token.last_used_at is None and token.expires_at is not None
    # Used through the API, its last-used time shows on the settings page.
    api = browser.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    page = browser.client.get("/settings").get_data(as_text=True)
    row = page.split("laptop")[1].split("</tr>")[0]
    assert "never" not in row.split("</td>")[4]
    browser.button("/settings", f"/settings/tokens/{token.id}/revoke")
    assert "Revoked the token “laptop”" in browser.client.get("/settings").get_data(as_text=True)
    api = browser.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_token_name_is_required(app, browser):
    browser.register("alice")
    response = browser.submit("/settings", {"name": "", "expires_in_days": "30"},
                              action="/settings/tokens")
    assert response.status_code == 422
    assert count(app, AccessToken) == 0


def test_login_rate_limit_can_be_shared_through_redis(make_app):
    # Several gunicorn workers must count attempts together: with a Redis
    # storage URL, two apps (two workers) share one count.
    url = __import__("os").environ.get("COMMONS_TEST_REDIS_URL")
    if not url:
        import pytest
        pytest.skip("set COMMONS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test "
                    "rate limits stored in Redis; .ci/run sets it")
    prefix = f"commons-test-{__import__('uuid').uuid4().hex}"
    config = dict(LOGIN_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI=url,
                  RATELIMIT_KEY_PREFIX=prefix)
    first = Browser(make_app(**config).test_client())
    second = Browser(make_app(**config).test_client())
    assert first.login("alice", "wrong password!").status_code == 401
    assert second.login("alice", "wrong password!").status_code == 401
    assert first.login("alice", "wrong password!").status_code == 429
    # The count lives in Redis, not in this process.
    import redis
    keys = redis.Redis.from_url(url).keys(f"*{prefix}*")
    assert keys
    redis.Redis.from_url(url).delete(*keys)


def test_registration_is_rate_limited(make_app):
    browser = Browser(make_app(REGISTER_RATE_LIMIT="2 per hour").test_client())
    statuses = [browser.submit("/register", {"username": ""}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


def test_the_settings_page_shows_each_section_once_under_a_plain_title(browser):
    browser.register("alice")
    html = browser.client.get("/settings").get_data(as_text=True)
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Settings" in title, title
    assert html.count('id="password-heading"') == 1 and html.count('id="sessions-heading"') == 1
