import pytest

from commons.web import duration_filter


@pytest.mark.parametrize("seconds, text", [(259200, "72 hours"), (86400, "24 hours"),
                                           (604800, "7 days"), (5400, "90 minutes"),
                                           (3600, "1 hour"), (4000, "1.1 hours")])
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_filter(seconds) == text
