"""Sessions end when their owner says so: logging out, changing the
password, "Log out everywhere", and after the configured lifetime; a
copied session cookie ends with them."""

import pytest

from tests.conftest import TEST_PASSWORD, Browser
from tests.governance.conftest import Clock

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock, PERMANENT_SESSION_LIFETIME=3600)


def logged_in(browser: Browser) -> bool:
    response = browser.client.get("/settings")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_of(app, browser: Browser) -> Browser:
    """Another client carrying the same session cookie (a stolen copy)."""
    thief = Browser(app.test_client())
    thief.client.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def change_password(browser: Browser, current: str, new: str, confirm: str | None = None):
    return browser.submit("/settings", {"current_password": current, "new_password": new,
                                        "confirm": new if confirm is None else confirm},
                          action="/settings/password")


def test_a_copied_session_cookie_stops_working_at_logout(app, browser):
    browser.register("alice")
    thief = copy_of(app, browser)
    assert logged_in(thief)
    browser.logout()
    assert not logged_in(browser)
    assert not logged_in(thief)
    # Logging in again does not bring the copy back.
    browser.login("alice")
    assert logged_in(browser) and not logged_in(thief)


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(
        app, browser, second_browser):
    browser.register("alice")
    second_browser.login("alice")
    thief = copy_of(app, browser)
    response = change_password(browser, TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password is changed" in browser.client.get("/settings").get_data(as_text=True)
    assert logged_in(browser)
    assert not logged_in(second_browser) and not logged_in(thief)
    assert second_browser.login("alice", TEST_PASSWORD).status_code == 401
    assert second_browser.login("alice", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("current, new, confirm, message", [
    ("not my password", NEW_PASSWORD, NEW_PASSWORD, "Your current password is not right"),
    (TEST_PASSWORD, NEW_PASSWORD, "something else entirely", "The two passwords differ"),
    (TEST_PASSWORD, "short", "short", "Use a password of at least 10 characters"),
], ids=["wrong-current", "mismatched", "too-short"])
def test_a_refused_password_change_says_why_and_changes_nothing(
        app, browser, second_browser, current, new, confirm, message):
    browser.register("alice")
    second_browser.login("alice")
    response = change_password(browser, current, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert logged_in(browser) and logged_in(second_browser)
    assert Browser(app.test_client()).login("alice", TEST_PASSWORD).status_code == 302


def test_changing_the_password_needs_the_form_token(app, browser):
    browser.register("alice")
    response = browser.client.post("/settings/password", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert Browser(app.test_client()).login("alice", TEST_PASSWORD).status_code == 302


def test_log_out_everywhere_ends_every_session(app, browser, second_browser):
    browser.register("alice")
    second_browser.login("alice")
    response = browser.button("/settings", "/settings/sessions/end")
    assert response.status_code == 302
    assert "logged out everywhere" in browser.client.get("/login").get_data(as_text=True)
    assert not logged_in(browser) and not logged_in(second_browser)
    # Without the form's token the button does nothing.
    browser.login("alice")
    browser.client.post("/settings/sessions/end")
    assert logged_in(browser)


def test_a_session_ends_after_its_lifetime(app, browser, clock):
    response = browser.register("alice")
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie  # the browser forgets it too
    clock.advance(seconds=3500)
    assert logged_in(browser)
    # Being active does not stretch it: the lifetime counts from logging in.
    clock.advance(seconds=200)
    assert not logged_in(browser)
    browser.login("alice")
    assert logged_in(browser)


def test_guessing_the_current_password_is_limited(make_app):
    # A borrowed, logged-in browser must not become a way around the limit.
    browser = Browser(make_app(ACCOUNT_LOGIN_RATE_LIMIT="2 per minute").test_client())
    browser.register("alice")
    statuses = [change_password(browser, f"guess number {n}", NEW_PASSWORD).status_code
                for n in range(3)]
    assert statuses == [422, 422, 429]
    response = change_password(browser, TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)
    assert logged_in(browser)
