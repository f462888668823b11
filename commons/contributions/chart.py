"""The division-of-labour chart: hours per kind of work per person, as
geometry the template draws into an SVG (no JavaScript), and the share of
each kind carried by the person who carries most of it. Pure."""

from dataclasses import dataclass
from decimal import Decimal

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

@dataclass(frozen=True)
class Column:
    label: str     # "2026-11"
    value: Decimal
    x: float       # per cent
    height: int    # px
    y: int         # top, px


@dataclass(frozen=True)
class Series:
    title: str
    unit: str
    colour: str
    columns: tuple[Column, ...]
    top: int       # px, where this series' band starts
    peak: Decimal


@dataclass(frozen=True)
class Activity:
    series: tuple[Series, ...]
    months: tuple[str, ...]
    height: int
    column_width: float  # per cent
    band: int = 60       # px, the tallest column

    @property
    def empty(self) -> bool:
        return all(column.value == 0 for series in self.series for column in series.columns)


def activity(months: list[str], rows: list[tuple[str, str, str, list[Decimal]]]) -> Activity:
    """Small multiples: one band of monthly columns per series (title, unit,
    colour, values), each scaled to its own peak, since commits and hours
    are not the same thing."""
    band, gap, label = 60, 34, 18
    width = 100 / max(len(months), 1)
    series = []
    top = label
    for title, unit, colour, values in rows:
        peak = max(values, default=Decimal(0))
        columns = []
        for index, (month, value) in enumerate(zip(months, values, strict=True)):
            height = int(round(float(value / peak) * band)) if peak else 0
            if value > 0:
                height = max(height, 2)  # a month with anything shows
            columns.append(Column(month, value, round(index * width, 3), height,
                                  top + band - height))
        series.append(Series(title, unit, colour, tuple(columns), top, peak))
        top += band + gap
    return Activity(tuple(series), tuple(months), top - gap + 22, round(width * 0.8, 3))
