"""What the ledger pages compute to show: the geometry of the progress
bars (needed, pledged and received per input), how figures are written,
and the needs board's grouping. Pure: plain values in, plain values out;
the template draws the SVG from them, so the chart reads without
JavaScript.

One bar per input: a track as long as what is needed, received filled
solid from the left, pledged (promised, not yet received) hatched after
it. Inputs counted in the same unit share a scale, so 5 kg is drawn
shorter than 20 kg wherever both appear; inputs in different units (kg,
pieces, EUR) are never drawn on one scale, since kilograms and euros do
not compare."""

from dataclasses import dataclass, field
from decimal import Decimal

from commons.ledger.rules import EXACT
from commons.money import currencies

# (key, label, colour): each colour at least 3:1 against white (WCAG 1.4.11);
# pledged is also hatched and needed is an outline, so colour is not the
# only thing that tells them apart.
SERIES = (
    ("needed", "Needed (the outlined track)", "#6e7781"),
    ("pledged", "Pledged, not yet received (hatched)", "#9a6700"),
    ("received", "Received (solid)", "#0b5d3b"),
)
BAR_AREA = 100.0  # per cent of the width the longest bar of a unit takes
LABEL = 20        # px: the line naming the input
BAR = 16          # px: the bar
FIGURES = 18      # px: the line of figures under the bar
ROW_GAP = 12      # px: between inputs
MAX_ROWS = 20
MAX_LABEL = 48    # characters of a title drawn in the chart (the table has all)


@dataclass(frozen=True)
class Progress:
    """One input's bar, in per cent of the full width: the track
    (needed), the solid part (received) and the hatched part after it
    (pledged, not yet received)."""

    number: int
    title: str
    unit: str
    needed: Decimal
    pledged: Decimal
    received: Decimal
    track: float     # width of the needed track
    received_width: float
    pledged_x: float
    pledged_width: float

    @property
    def done(self) -> int:
        """Per cent of what is needed that has been received (capped at 100)."""
        if self.needed <= 0:
            return 100 if self.received > 0 else 0
        return min(int(self.received * 100 / self.needed), 100)


def scales(inputs) -> dict[str, Decimal]:
    """The scale of each unit: the largest of needed, or received plus
    pledged, over the inputs counted in that unit. Inputs in one unit
    share it; units never mix."""
    found: dict[str, Decimal] = {}
    for need in inputs:
        top = max(need.needed, need.received + need.pledged)
        found[need.unit] = max(found.get(need.unit, Decimal(0)), top)
    return found


def progress(inputs, by_unit: dict[str, Decimal] | None = None) -> list[Progress]:
    """A progress bar for each of *inputs* (objects with number, title,
    unit, needed, pledged, received), each unit on its own shared scale:
    *by_unit* if given (a wider list's ``scales``), else theirs."""
    inputs = list(inputs)
    by_unit = scales(inputs) if by_unit is None else by_unit
    bars = []
    for need in inputs:
        scale = by_unit[need.unit]
        received = _width(need.received, scale)
        bars.append(Progress(need.number, need.title, need.unit, need.needed, need.pledged,
                             need.received, _width(need.needed, scale), received, received,
                             _width(need.pledged, scale)))
    return bars


@dataclass(frozen=True)
class Row:
    bar: Progress
    label: str  # the title, shortened to fit
    y: int      # baseline of the label, px
    bar_y: int  # top of the bar, px
    text_y: int  # baseline of the figures, px

    @property
    def number(self) -> int:
        return self.bar.number

    @property
    def title(self) -> str:
        return self.bar.title

    @property
    def unit(self) -> str:
        return self.bar.unit


@dataclass(frozen=True)
class Chart:
    rows: tuple[Row, ...]
    height: int
    omitted: int  # inputs left out past MAX_ROWS
    bar_height: int = BAR

    @property
    def empty(self) -> bool:
        return not self.rows


def layout(inputs, max_rows: int = MAX_ROWS) -> Chart:
    """One progress bar per input for the first *max_rows* of *inputs*,
    each under a line that names it and over a line of its figures."""
    inputs = list(inputs)
    rows: list[Row] = []
    top = 0
    for bar in progress(inputs[:max_rows]):
        bar_y = top + LABEL + 2
        rows.append(Row(bar, shorten(bar.title), top + LABEL - 5, bar_y,
                        bar_y + BAR + FIGURES - 4))
        top = bar_y + BAR + FIGURES + ROW_GAP
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
    """One resource on a page of the needs board and the projects that
    need it; *projects* and *still_needed* count the whole board, not the
    page (a resource's needs may go on over the next page)."""

    key: str
    title: str
    kind: str
    projects: int
    still_needed: dict[str, Decimal]  # per unit, never mixed
    needs: list = field(default_factory=list)  # (input, project), earliest date first


def needs_board(rows, projects: dict[str, int],
                still_needed: dict[str, dict[str, Decimal]]) -> list[Resource]:
    """A page of open needs (input, project), in board order (the resources
    most projects compete for first, then by key, each earliest date
    first), grouped by resource."""
    board: dict[str, Resource] = {}
    for need, project in rows:
        group = board.get(need.resource)
        if group is None:
            group = board[need.resource] = Resource(
                need.resource, need.title, need.kind, projects[need.resource],
                still_needed.get(need.resource, {}))
        group.needs.append((need, project))
    return list(board.values())
