"""What the ledger pages compute to show: the geometry of the ledger
page's chart (needed, pledged and received per input), how figures are
written, and the needs board's grouping. Pure: plain values in, plain
values out; the template draws the SVG from them, so the chart reads
without JavaScript.

Inputs are counted in different units (kg, pieces, EUR), so each input's
bars are scaled to that input's largest figure: the chart compares what is
pledged and received with what is needed, never kilograms with euros."""

from dataclasses import dataclass, field
from decimal import Decimal

from commons.ledger.rules import EXACT
from commons.money import currencies

# (key, label, colour): each colour at least 3:1 against white (WCAG 1.4.11).
SERIES = (
    ("needed", "Needed", "#6e7781"),
    ("pledged", "Pledged, not yet received", "#9a6700"),
    ("received", "Received", "#0b5d3b"),
)
BAR_AREA = 60.0   # per cent of the width the longest bar takes
TEXT_X = 62.0     # per cent: where each bar's figure is written
LABEL = 20        # px: the line naming the input
BAR = 14          # px: one bar
GAP = 4           # px: between bars
ROW_GAP = 14      # px: between inputs
MAX_ROWS = 20
MAX_LABEL = 48    # characters of a title drawn in the chart (the table has all)


@dataclass(frozen=True)
class Bar:
    series: str
    label: str
    colour: str
    amount: Decimal
    width: float  # per cent of the chart's width
    y: int        # top, px
    text_y: int   # baseline of its figure, px


@dataclass(frozen=True)
class Row:
    number: int
    title: str
    label: str  # the title, shortened to fit
    unit: str
    y: int      # baseline of the label, px
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    rows: tuple[Row, ...]
    height: int
    omitted: int  # inputs left out past MAX_ROWS
    bar_height: int = BAR
    text_x: float = TEXT_X

    @property
    def empty(self) -> bool:
        return not self.rows


def layout(inputs, max_rows: int = MAX_ROWS) -> Chart:
    """Rows of three bars (needed, pledged, received) for *inputs*
    (objects with number, title, unit, needed, pledged, received)."""
    inputs = list(inputs)
    rows: list[Row] = []
    top = 0
    for need in inputs[:max_rows]:
        amounts = {"needed": need.needed, "pledged": need.pledged, "received": need.received}
        scale = max(amounts.values())
        bars = []
        y = top + LABEL + GAP
        for key, label, colour in SERIES:
            bars.append(Bar(key, label, colour, amounts[key], _width(amounts[key], scale), y,
                            y + BAR - 3))
            y += BAR + GAP
        rows.append(Row(need.number, need.title, shorten(need.title), need.unit, top + LABEL - 5,
                        tuple(bars)))
        top = y + ROW_GAP
    return Chart(tuple(rows), max(top - ROW_GAP, 0), max(len(inputs) - max_rows, 0))


def _width(amount: Decimal, scale: Decimal) -> float:
    if scale <= 0 or amount <= 0:
        return 0.0
    # A sliver stays visible: a small pledge is still a pledge.
    return round(max(float(amount / scale) * BAR_AREA, 0.5), 2)


def shorten(title: str, limit: int = MAX_LABEL) -> str:
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "…"


def figure(amount: Decimal | None, unit: str | None = None) -> str:
    """An amount as people read it: a currency's minor units ("490.00"),
    otherwise without trailing zeros ("20" kg, "1.25" kg); exact either way."""
    if amount is None:
        return ""
    digits = currencies().get(unit or "")
    if digits is not None:
        return format(amount.quantize(Decimal(1).scaleb(-digits), context=EXACT), "f")
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------- needs board

@dataclass
class Resource:
    """One resource on the needs board and the projects that need it."""

    key: str
    title: str
    kind: str
    needs: list = field(default_factory=list)  # (input, project), earliest date first

    @property
    def projects(self) -> int:
        return len({project.id for _, project in self.needs})

    @property
    def still_needed(self) -> dict[str, Decimal]:
        """What all of them still need together, per unit (never mixed)."""
        sums: dict[str, Decimal] = {}
        for need, _ in self.needs:
            sums[need.unit] = sums.get(need.unit, Decimal(0)) + need.still_needed
        return sums


def needs_board(rows) -> list[Resource]:
    """Open needs (input, project), in resource order, grouped by resource;
    the resources most projects compete for first."""
    board: dict[str, Resource] = {}
    for need, project in rows:
        group = board.setdefault(need.resource, Resource(need.resource, need.title, need.kind))
        group.needs.append((need, project))
    return sorted(board.values(), key=lambda g: (-g.projects, g.title.casefold(), g.key))
