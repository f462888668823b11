"""What a round's page draws: requested against available, one row per
iteration. Pure: plain values in, plain geometry out; the template
(templates/pools/_chart.svg) draws the SVG from it, so the chart reads
without JavaScript and a table beside it says the same in figures.

Each row: the available stock as an outlined track, what was requested
solid up to the track's end and, past it, the excess hatched, with a mark
where the stock ends. All rows share one scale (the largest of every
iteration's available and requested), so a shorter bar asks for less
whichever iteration it is in; an excess demand ratio of 1.5 shows as a
bar half as long again as its track."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from commons.ledger.chart import figure
from commons.pools.rules import excess_demand

LABEL = 20      # px: the line naming the iteration
BAR = 16        # px: the bar
FIGURES = 18    # px: the line of figures under the bar
ROW_GAP = 12    # px: between iterations
# The longest bar takes this share of the width, so the mark at the end of
# a track and the excess past it stay inside the drawing.
BAR_AREA = 96.0


@dataclass(frozen=True)
class Point:
    """One iteration's figures: closed (published at its close) or, for the
    iteration still open, as the requests stand now."""

    iteration: int
    available: Decimal
    requested: Decimal
    closed: bool = True


@dataclass(frozen=True)
class Row:
    point: Point
    ratio: Decimal | None  # requested / available; None when nothing is available
    track: float           # per cent of the width: available
    within: float          # per cent: requested up to available (solid)
    excess_x: float        # per cent: where the excess starts
    excess: float          # per cent: requested past available (hatched)
    label_y: int           # px: baseline of the label
    bar_y: int             # px: top of the bar
    text_y: int            # px: baseline of the figures

    @property
    def iteration(self) -> int:
        return self.point.iteration

    @property
    def contested(self) -> bool:
        return self.point.requested > self.point.available


@dataclass(frozen=True)
class Chart:
    rows: tuple[Row, ...]
    height: int
    unit: str
    bar_height: int = BAR

    @property
    def empty(self) -> bool:
        return not self.rows


def excess_ratio(requested: Decimal, available: Decimal) -> Decimal | None:
    """Requested over available as each close publishes it (1.5 means half
    as much again as there is); None when nothing is available."""
    return excess_demand(requested, available)


def ratio_text(ratio: Decimal | None) -> str:
    """A ratio as people read it: "1.5", "0.8", "2"; a dash for none."""
    return "—" if ratio is None else figure(ratio)


def layout(points: Iterable[Point], unit: str) -> Chart:
    """One row per iteration of *points*, in the order given, on one scale."""
    points = list(points)
    scale = max((max(p.available, p.requested) for p in points), default=Decimal(0))
    rows: list[Row] = []
    top = 0
    for point in points:
        bar_y = top + LABEL + 2
        within = min(point.requested, point.available)
        excess = max(point.requested - point.available, Decimal(0))
        track = _width(point.available, scale)
        solid = _width(within, scale)
        rows.append(Row(point, excess_ratio(point.requested, point.available), track, solid,
                        track, _width(excess, scale), top + LABEL - 5, bar_y,
                        bar_y + BAR + FIGURES - 4))
        top = bar_y + BAR + FIGURES + ROW_GAP
    return Chart(tuple(rows), max(top - ROW_GAP, 0), unit)


def words(row: Row, unit: str) -> str:
    """A row's figures in words, for the chart and for everyone."""
    point = row.point
    text = (f"{figure(point.requested, unit)} {unit} requested of "
            f"{figure(point.available, unit)} {unit} available")
    if row.ratio is not None:
        text += f", excess demand ratio {ratio_text(row.ratio)}"
    return text


def _width(amount: Decimal, scale: Decimal) -> float:
    if scale <= 0 or amount <= 0:
        return 0.0
    # A sliver stays visible: a small request is still a request.
    return round(max(float(amount / scale) * BAR_AREA, 0.5), 2)


def points_of(published: Sequence[tuple[int, Decimal, Decimal]],
              current: tuple[int, Decimal, Decimal] | None) -> list[Point]:
    """The chart's points from the iterations published at their close
    (iteration, available, requested) and, while the round is open, the
    current iteration as it stands."""
    points = [Point(n, available, requested) for n, available, requested in published]
    if current is not None and all(p.iteration != current[0] for p in points):
        points.append(Point(current[0], current[1], current[2], closed=False))
    return points
