"""Times as people read them, from a clock passed in."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template_string

from commons import times

NOW = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("offset, words", [
    (timedelta(seconds=30), "just now"),
    (timedelta(seconds=-59), "just now"),
    (timedelta(minutes=1), "in 1 minute"),
    (timedelta(minutes=-90), "1 hour ago"),
    (timedelta(days=2, hours=5), "in 2 days"),
    (timedelta(days=-8), "1 week ago"),
    (timedelta(days=45), "in 1 month"),
    (timedelta(days=-800), "2 years ago"),
])
def test_relative_words_name_the_largest_whole_unit(offset, words):
    assert times.relative(NOW + offset, NOW) == words


def test_naive_moments_from_the_database_are_utc():
    naive = datetime(2031, 3, 14, 9, 0)
    assert times.relative(naive, NOW) == "3 hours ago"
    assert times.iso(naive) == "2031-03-14T09:00:00+00:00"


def test_the_exact_time_is_shown_in_the_zone_given():
    assert times.exact(NOW) == "2031-03-14 12:00 UTC"
    assert times.exact(NOW, ZoneInfo("Europe/Berlin")) == "2031-03-14 13:00 CET"
    assert times.exact(NOW, ZoneInfo("Asia/Kolkata")) == "2031-03-14 17:30 IST"


def test_the_page_filter_gives_a_time_element(app):
    app.config["CLOCK"] = lambda: NOW
    with app.test_request_context():
        html = render_template_string("{{ moment|when }}", moment=NOW + timedelta(days=2))
    assert html == ('<time datetime="2031-03-16T12:00:00+00:00" title="2031-03-16 12:00 UTC">'
                    "in 2 days</time>")


def test_the_filter_outside_a_pages_context_reads_the_clock_itself(app):
    # A macro imported without context (git/_diff.html's line comments) has
    # no page variables: the filter asks the clock and the viewer itself.
    app.config["CLOCK"] = lambda: NOW
    with app.test_request_context():
        html = app.jinja_env.from_string("{{ moment|when }}").render(moment=NOW - timedelta(hours=5))
    assert html == ('<time datetime="2031-03-14T07:00:00+00:00" title="2031-03-14 07:00 UTC">'
                    "5 hours ago</time>")
