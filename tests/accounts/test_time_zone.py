"""A person's time zone: chosen in the settings, refused when it is not a
zone, and used for every exact time they are shown."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from commons.accounts.models import User
from commons.extensions import db

NOW = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    return make_app(CLOCK=lambda: NOW)


def zone_of(app, username: str) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(User.time_zone).where(User.username == username))


def chosen(html: str) -> list[str]:
    """The selected options of the time zone select."""
    select = re.search(r'<select[^>]*name="time_zone"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option selected value="([^"]*)"', select)


def test_a_new_person_reads_times_in_utc(app, browser):
    browser.register("alice")
    assert zone_of(app, "alice") is None
    assert chosen(browser.client.get("/settings").get_data(as_text=True)) == ["UTC"]


def test_the_chosen_zone_is_saved_and_shown_chosen(app, browser):
    browser.register("alice")
    saved = browser.submit("/settings", {"time_zone": "Europe/Berlin"},
                           action="/settings/time-zone")
    assert saved.status_code == 302 and saved.location == "/settings"
    assert zone_of(app, "alice") == "Europe/Berlin"
    html = browser.client.get("/settings").get_data(as_text=True)
    assert "Times are now shown in Europe/Berlin." in html
    assert chosen(html) == ["Europe/Berlin"]
    # Choosing UTC again clears the choice.
    browser.submit("/settings", {"time_zone": "UTC"}, action="/settings/time-zone")
    assert zone_of(app, "alice") is None


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "europe/berlin", ""])
def test_a_name_that_is_no_zone_is_refused_and_the_form_comes_back_filled_in(app, browser, bad):
    browser.register("alice")
    browser.submit("/settings", {"time_zone": "Asia/Tokyo"}, action="/settings/time-zone")
    refused = browser.submit("/settings", {"time_zone": bad}, action="/settings/time-zone")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "is not a time zone we know. Choose one from the list" in html
    assert re.search(r'<select aria-describedby="time_zone-help time_zone-error" '
                     r'aria-invalid="true" id="time_zone"', html)
    if bad:
        assert chosen(html) == [bad]  # what was sent stays chosen, beside its error
    assert zone_of(app, "alice") == "Asia/Tokyo"  # nothing changed


def test_reloading_the_refused_form_address_goes_back_to_the_settings(browser):
    browser.register("alice")
    again = browser.client.get("/settings/time-zone")
    assert again.status_code == 302 and again.location == "/settings#time-zone-heading"


def test_relative_times_carry_the_exact_time_in_the_persons_zone(app, browser):
    browser.register("alice")
    browser.submit("/settings", {"name": "laptop", "expires_in_days": "30"},
                   action="/settings/tokens")
    html = browser.client.get("/settings").get_data(as_text=True)
    assert ('<time datetime="2031-03-14T12:00:00+00:00" title="2031-03-14 12:00 UTC">just now</time>'
            in html)
    browser.submit("/settings", {"time_zone": "Asia/Kolkata"}, action="/settings/time-zone")
    html = browser.client.get("/settings").get_data(as_text=True)
    # Created now, expires in 30 days: words relative to the clock, the
    # tooltip in Kolkata's time, the machine-readable moment in UTC.
    assert ('<time datetime="2031-03-14T12:00:00+00:00" title="2031-03-14 17:30 IST">just now</time>'
            in html)
    assert ('<time datetime="2031-04-13T12:00:00+00:00" title="2031-04-13 17:30 IST">in 1 month</time>'
            in html)


def test_exact_stamps_follow_the_zone_too_and_strangers_read_utc(app, browser, second_browser):
    browser.register("alice")
    browser.create_project(slug="dryer", name="Dryer")
    second_browser.register("bob")
    browser.submit("/settings", {"time_zone": "America/New_York"}, action="/settings/time-zone")
    # The proposal page gives the close as words and as an exact stamp.
    page = "/projects/dryer/proposals/new"
    opened = browser.submit(page, {"kind": "decision", "title": "Open on Saturdays", "body": ""})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    mine = browser.client.get(opened.location).get_data(as_text=True)
    theirs = second_browser.client.get(opened.location).get_data(as_text=True)
    assert "(2031-03-17 08:00 EDT)" in mine
    assert "(2031-03-17 12:00 UTC)" in theirs
