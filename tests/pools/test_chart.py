"""The round page's chart as plain geometry: requested against available
per iteration, on one scale, the excess drawn past the stock's end."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from commons.pools import chart


def test_the_issue_s_round_draws_the_excess_past_the_stock_and_then_none():
    drawn = chart.layout([chart.Point(1, Decimal(100), Decimal(150)),
                          chart.Point(2, Decimal(100), Decimal(100), closed=False)], "hour")
    first, second = drawn.rows
    assert first.ratio == Decimal("1.50") and chart.ratio_text(first.ratio) == "1.5"
    assert first.contested and not second.contested
    # 150 is the scale: the track of 100 is two thirds of the drawing.
    assert first.track == second.track == 64.0
    assert first.within == 64.0 and first.excess_x == 64.0 and first.excess == 32.0
    assert second.within == 64.0 and second.excess == 0.0
    assert chart.words(first, "hour") == ("150 hour requested of 100 hour available, "
                                          "excess demand ratio 1.5")
    assert second.text_y > first.text_y and drawn.height > second.text_y


def test_nothing_available_has_no_ratio_and_no_track():
    row, = chart.layout([chart.Point(1, Decimal(0), Decimal(5))], "EUR").rows
    assert row.ratio is None and chart.ratio_text(None) == "—"
    assert row.track == 0.0 and row.within == 0.0 and row.excess == 96.0
    assert chart.words(row, "EUR") == "5.00 EUR requested of 0.00 EUR available"


def test_no_iterations_is_an_empty_chart():
    drawn = chart.layout([], "hour")
    assert drawn.empty and drawn.height == 0


def test_points_add_the_open_iteration_once():
    published = [(1, Decimal(100), Decimal(150))]
    assert [p.iteration for p in chart.points_of(published, (2, Decimal(100), Decimal(90)))] \
        == [1, 2]
    assert chart.points_of(published, (1, Decimal(100), Decimal(150)))[0].closed
    assert len(chart.points_of(published, None)) == 1


amounts = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False,
                      allow_infinity=False)


@given(st.lists(st.tuples(amounts, amounts), min_size=1, max_size=10))
def test_bars_stay_inside_the_drawing_and_are_as_long_as_what_was_requested(pairs):
    points = [chart.Point(n, a, r) for n, (a, r) in enumerate(pairs, 1)]
    drawn = chart.layout(points, "kg")
    scale = max(max(a, r) for a, r in pairs)
    for point, row in zip(points, drawn.rows, strict=True):
        assert row.within <= row.track
        assert (row.excess > 0) == row.contested
        assert row.excess_x + row.excess <= chart.BAR_AREA + 1
        if scale > 0:
            # The solid and the striped parts together are the request on the
            # shared scale (give or take the slivers small amounts keep).
            drawn_length = row.within + row.excess
            assert abs(drawn_length - float(point.requested / scale) * chart.BAR_AREA) <= 1.01
