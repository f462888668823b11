"""The activity chart's axes, as pure functions: a y axis per band (0,
half the peak when whole, the peak) and month names under the x axis."""

from decimal import Decimal

from commons.contributions import chart


def months(first_year: int, first_month: int, count: int) -> list[str]:
    found = []
    year, month = first_year, first_month
    for _ in range(count):
        found.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def test_twelve_months_name_every_other_month_ending_with_the_latest_and_their_years():
    labels = chart.month_labels(months(2025, 12, 12))
    assert [label.name for label in labels] == ["Jan", "Mar", "May", "Jul", "Sep", "Nov"]
    assert [label.year for label in labels] == ["2026", "", "", "", "", ""]
    # Centred on their columns, which start after the y axis.
    width = (100 - chart.PLOT_X) / 12
    assert labels[-1].x == round(chart.PLOT_X + 11.5 * width, 3)
    assert all(chart.PLOT_X < label.x < 100 for label in labels)


def test_few_months_are_all_named_and_a_new_year_is_marked():
    labels = chart.month_labels(months(2025, 11, 4))
    assert [(label.name, label.year) for label in labels] == [
        ("Nov", "2025"), ("Dec", ""), ("Jan", "2026"), ("Feb", "")]
    assert chart.month_labels([]) == ()


def test_y_ticks_say_zero_and_the_peak_and_a_whole_half():
    assert [(t.value, t.y) for t in chart.y_ticks(Decimal(12), 18, 60)] == [
        (0, 78), (6, 48), (12, 18)]
    assert [t.value for t in chart.y_ticks(Decimal(3), 0, 60)] == [0, 3]  # 1.5 is not a count
    assert [t.value for t in chart.y_ticks(Decimal(0), 0, 60)] == [0]


def test_bands_share_the_months_and_columns_start_after_the_y_axis():
    drawn = chart.activity(months(2026, 1, 3), [
        ("Commits", "commits", "#0969da", [Decimal(0), Decimal(4), Decimal(2)]),
        ("Hours of work", "h", "#9a6700", [Decimal("1.5"), Decimal(0), Decimal(0)])])
    commits, hours = drawn.series
    assert [c.height for c in commits.columns] == [0, 60, 30]
    assert all(c.x > chart.PLOT_X for c in commits.columns + hours.columns)
    assert hours.top > commits.top + drawn.band  # bands never overlap
    assert drawn.axis_y == hours.top + drawn.band
    assert drawn.height == drawn.axis_y + chart.X_AXIS
    assert [t.value for t in hours.ticks] == [0, Decimal("1.5")]
