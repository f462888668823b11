"""A recurring need as it stands in a given month (issue 20). The stored
row is what the journal alone gives (the quantity per month, what was
received and pledged, the first month not covered); what a page shows
depends on the month too: what the months through this one need, what
is still needed for them, whether it is covered this month. ``as_of``
wraps a row (an ``Input`` or a plain ``Row`` with the same columns) for
that month, and leaves a need needed once as it is. The arithmetic is in
``recurrence_rules``."""

from datetime import date
from decimal import Decimal
from typing import Any

from commons.ledger import recurrence_rules as months
from commons.ledger.need_rules import status_of


class NeedInMonth:
    """A recurring need seen in the month of *today*: ``needed`` and
    ``still_needed`` run through the month being supplied (the months
    behind included), ``status`` and ``open`` are this month's, and
    everything else is the row's own."""

    def __init__(self, need: Any, today: date):
        self._need = need
        start = need.starts
        per_month, supplied = need.needed, need.received + need.pledged
        self.today = today
        self.per_month: Decimal = per_month
        self.due: date = months.due_month(start, today)
        self.needed: Decimal = months.needed_through(start, per_month, self.due)
        zero = Decimal(0).scaleb(per_month.as_tuple().exponent)  # type: ignore[arg-type]
        self.still_needed: Decimal = max(self.needed - supplied, zero)
        self.status: str = status_of(need.closed, need.approved, self.needed, need.received,
                                     need.pledged)
        self.open: bool = months.is_open_in(need.closed, start,
                                            months.open_month(start, per_month, supplied),
                                            today)
        self.covered_through: date | None = months.covered_through(start, per_month, supplied)
        self.months_ahead: int = months.months_ahead(start, per_month, supplied, today)
        self.coverage: str = months.coverage_words(start, per_month, supplied, today)
        self.starts_named: str = months.month_named(start)
        self.due_named: str = months.month_named(self.due)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._need, name)


def as_of(need: Any, today: date) -> Any:
    """*need* as it stands in *today*'s month: a ``NeedInMonth`` if it
    recurs, else *need* itself."""
    return NeedInMonth(need, today) if getattr(need, "recurs", None) else need


def all_as_of(needs, today: date) -> list:
    return [as_of(need, today) for need in needs]
