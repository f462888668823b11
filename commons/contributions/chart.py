"""The division-of-labour chart: hours per kind of work per person, as
geometry the template draws into an SVG (no JavaScript), and the share of
each kind carried by the person who carries most of it. Pure."""

from dataclasses import dataclass
from decimal import Decimal

from commons.rotas.rules import MonthShare

# (category, colour): each at least 3:1 against white (WCAG 1.4.11) and
# told apart by the legend and the table as well as by colour.
COLOURS = {
    "routine": "#6e7781",
    "care": "#a40e26",
    "creative": "#0969da",
    "coordination": "#9a6700",
}
BAR_AREA = 70.0  # per cent of the width the person with most hours takes
TEXT_X = 72.0    # per cent: where each total is written
ROW = 34         # px per person
BAR = 16         # px, the bar's height
MAX_ROWS = 40


@dataclass(frozen=True)
class Segment:
    category: str
    hours: Decimal
    x: float      # per cent
    width: float  # per cent
    colour: str


@dataclass(frozen=True)
class Row:
    name: str
    total: Decimal
    y: int        # top of the bar, px
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    rows: tuple[Row, ...]
    height: int
    omitted: int
    bar_height: int = BAR
    text_x: float = TEXT_X


@dataclass(frozen=True)
class Share:
    """How much of one kind of work the person who does most of it does."""

    category: str
    total: Decimal
    people: int
    top_name: str
    top_share: int  # per cent, rounded down


def layout(people: list[tuple[str, dict[str, Decimal]]], categories: list[str],
           max_rows: int = MAX_ROWS) -> Chart:
    """One stacked bar per person (name, hours per category), all on one
    scale: hours are hours, whoever worked them."""
    scale = max((sum(hours.values(), Decimal(0)) for _name, hours in people), default=Decimal(0))
    rows = []
    for index, (name, hours) in enumerate(people[:max_rows]):
        x = 0.0
        segments = []
        for category in categories:
            amount = hours.get(category, Decimal(0))
            if amount <= 0:
                continue
            width = float(amount / scale) * BAR_AREA if scale else 0.0
            segments.append(Segment(category, amount, round(x, 3), round(width, 3),
                                    COLOURS.get(category, "#57606a")))
            x += width
        rows.append(Row(name, sum(hours.values(), Decimal(0)), index * ROW + 18,
                        tuple(segments)))
    return Chart(tuple(rows), len(rows) * ROW + 8, max(0, len(people) - max_rows))


def shares(people: list[tuple[str, dict[str, Decimal]]], categories: list[str]) -> list[Share]:
    """For each kind of work anyone logged: its hours, how many people did
    it, and the share of whoever did most (ties: the first by name)."""
    found = []
    for category in categories:
        doing = sorted(((hours[category], name) for name, hours in people
                        if hours.get(category, Decimal(0)) > 0),
                       key=lambda pair: (-pair[0], pair[1].casefold()))
        if not doing:
            continue
        total = sum((hours for hours, _name in doing), Decimal(0))
        top_hours, top_name = doing[0]
        found.append(Share(category, total, len(doing), top_name,
                           int(top_hours * 100 / total)))
    return found


# ---------------------------------------------------------------- activity

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
PLOT_X = 10.0   # per cent: where the columns start; the y axis' figures are left of it
X_AXIS = 34     # px under the last band: month names, and the year under January


@dataclass(frozen=True)
class Column:
    label: str     # "2026-11"
    value: Decimal
    x: float       # per cent
    height: int    # px
    y: int         # top, px


@dataclass(frozen=True)
class Tick:
    """A figure on a band's y axis: *value* written at the height *y*."""

    value: Decimal
    y: int


@dataclass(frozen=True)
class MonthLabel:
    """A month named under the x axis, centred on its column."""

    x: float       # per cent
    name: str      # "Nov"
    year: str      # "2026" under January and the first month named, else ""


@dataclass(frozen=True)
class Series:
    title: str
    unit: str
    colour: str
    columns: tuple[Column, ...]
    top: int       # px, where this series' band starts
    peak: Decimal
    ticks: tuple[Tick, ...] = ()


@dataclass(frozen=True)
class Activity:
    series: tuple[Series, ...]
    months: tuple[str, ...]
    height: int
    column_width: float  # per cent
    band: int = 60       # px, the tallest column
    plot_x: float = PLOT_X
    labels: tuple[MonthLabel, ...] = ()
    axis_y: int = 0      # px: the baseline of the last band, where month names hang

    @property
    def empty(self) -> bool:
        return all(column.value == 0 for series in self.series for column in series.columns)


def month_labels(months: list[str], plot_x: float = PLOT_X) -> tuple[MonthLabel, ...]:
    """Names under the x axis: every month up to 6, else every other one,
    always the latest; the year under the first name and under January."""
    if not months:
        return ()
    width = (100 - plot_x) / len(months)
    step = 1 if len(months) <= 6 else 2
    last = len(months) - 1
    shown = [index for index in range(len(months)) if (last - index) % step == 0]
    labels = []
    for order, index in enumerate(shown):
        year, _, month = months[index].partition("-")
        name = MONTH_NAMES[int(month) - 1] if month.isdigit() and 1 <= int(month) <= 12 \
            else months[index]
        labels.append(MonthLabel(round(plot_x + (index + 0.5) * width, 3), name,
                                 year if order == 0 or month == "01" else ""))
    return tuple(labels)


def y_ticks(peak: Decimal, top: int, band: int) -> tuple[Tick, ...]:
    """The y axis of one band: 0 at its baseline, the peak at its top, and
    half the peak between when that is a whole number."""
    if peak <= 0:
        return (Tick(Decimal(0), top + band),)
    ticks = [Tick(Decimal(0), top + band)]
    half = peak / 2
    if half == half.to_integral_value() and half > 0:
        ticks.append(Tick(half, top + band // 2))
    ticks.append(Tick(peak, top))
    return tuple(ticks)


def activity(months: list[str], rows: list[tuple[str, str, str, list[Decimal]]]) -> Activity:
    """Small multiples: one band of monthly columns per series (title, unit,
    colour, values), each scaled to its own peak, since commits and hours
    are not the same thing; each band has its own y axis (0 and its peak),
    and the months are named under the last one."""
    band, gap, label = 60, 34, 18
    width = (100 - PLOT_X) / max(len(months), 1)
    series = []
    top = label
    for title, unit, colour, values in rows:
        peak = max(values, default=Decimal(0))
        columns = []
        for index, (month, value) in enumerate(zip(months, values, strict=True)):
            height = int(round(float(value / peak) * band)) if peak else 0
            if value > 0:
                height = max(height, 2)  # a month with anything shows
            columns.append(Column(month, value, round(PLOT_X + index * width + width * 0.1, 3),
                                  height, top + band - height))
        series.append(Series(title, unit, colour, tuple(columns), top, peak,
                             y_ticks(peak, top, band)))
        top += band + gap
    axis_y = top - gap
    return Activity(tuple(series), tuple(months), axis_y + X_AXIS, round(width * 0.8, 3),
                    labels=month_labels(months), axis_y=axis_y)


# ---------------------------------------------------------------- busiest share

BUSIEST_WIDTH, BUSIEST_HEIGHT = 600, 180  # the viewBox; the SVG scales to the page
BUSIEST_LEFT, BUSIEST_TOP, BUSIEST_PLOT = 44, 12, 130


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    month: str
    share: int


@dataclass(frozen=True)
class Line:
    category: str
    colour: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)


@dataclass(frozen=True)
class BusiestChart:
    lines: tuple[Line, ...]
    labels: tuple[MonthLabel, ...]
    width: int = BUSIEST_WIDTH
    height: int = BUSIEST_HEIGHT
    left: int = BUSIEST_LEFT
    top: int = BUSIEST_TOP
    plot: int = BUSIEST_PLOT


def busiest_lines(months: list[str], shares: dict[str, list[MonthShare]]) -> BusiestChart:
    """A line per kind of work through the busiest person's share of it
    each month (0 to 100 %); a month nobody did that work breaks nothing,
    it is just not a point. A line that falls means the work spread out."""
    step = (BUSIEST_WIDTH - BUSIEST_LEFT - 8) / max(len(months), 1)
    lines = []
    for category, series in shares.items():
        points = tuple(
            Point(round(BUSIEST_LEFT + (index + 0.5) * step, 1),
                  round(BUSIEST_TOP + BUSIEST_PLOT * (100 - share.top_share) / 100, 1),
                  share.month, share.top_share)
            for index, share in enumerate(series) if share.top_share is not None)
        if points:
            lines.append(Line(category, COLOURS.get(category, "#57606a"), points))
    return BusiestChart(tuple(lines), _month_positions(months, step))


def _month_positions(months: list[str], step: float) -> tuple[MonthLabel, ...]:
    """Month names under the busiest-share chart in viewBox units, named as
    the activity chart names them."""
    named = {label.x: label for label in month_labels(months, 0.0)}
    width = 100 / max(len(months), 1)
    found = []
    for index in range(len(months)):
        label = named.get(round((index + 0.5) * width, 3))
        if label is not None:
            found.append(MonthLabel(round(BUSIEST_LEFT + (index + 0.5) * step, 1), label.name,
                                    label.year))
    return tuple(found)
