"""Contributor records as JSON (the API and the .json export share it) and
as CSV. Amounts are decimal strings; units and currencies never add up."""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from commons.contributions import rules
from commons.ledger.rules import WORK_CATEGORIES


def _amounts(amounts: dict[str, Decimal]) -> dict[str, str]:
    return {unit: format(value, "f") for unit, value in sorted(amounts.items())}


def _stamp(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def record_json(record: rules.Record) -> dict:
    return {
        "username": record.username,
        "name": record.name,
        # Unmapped commit identities: the address is masked, never shown.
        "email": record.masked_email,
        "commits": {
            "authored": record.git.commits, "co_authored": record.git.co_authored,
            "first": _stamp(record.git.first_at), "last": _stamp(record.git.last_at),
            "lines_added": record.git.lines_added, "lines_removed": record.git.lines_removed,
        },
        "proposals": {"opened": record.proposals_opened, "merges_proposed": record.merges_proposed,
                      "merges_merged": record.merges_merged},
        "stances": {"taken": record.stances, "objections": record.objections,
                    "reviews": record.reviews},
        "hours": _amounts(record.hours),
        "inputs": {
            "pledges": record.pledges, "pledged": _amounts(record.pledged),
            "pledged_value": _amounts(record.pledged_value),
            "deliveries": record.deliveries, "delivered": _amounts(record.delivered),
            "delivered_value": _amounts(record.delivered_value),
        },
        "kinds": dict(sorted(record.kinds.items())),
    }


CSV_COLUMNS = ["username", "name", "email", "commits", "co_authored", "first_commit",
               "last_commit", "lines_added", "lines_removed", "proposals_opened",
               "merges_proposed", "merges_merged", "stances", "objections", "reviews",
               *(f"hours_{category}" for category in WORK_CATEGORIES),
               "pledges", "pledged", "pledged_value", "deliveries", "delivered",
               "delivered_value", "kinds"]


def _cell(value: object) -> object:
    """Spreadsheets run cells that start with = + - @ as formulas; a quote
    in front keeps a name a name (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def records_csv(records: Iterable[rules.Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow([_cell(value) for value in [
            record.username or "", record.name, record.masked_email or "", record.git.commits,
            record.git.co_authored, _stamp(record.git.first_at) or "",
            _stamp(record.git.last_at) or "", record.git.lines_added, record.git.lines_removed,
            record.proposals_opened, record.merges_proposed, record.merges_merged,
            record.stances, record.objections, record.reviews,
            *(format(record.hours.get(category, Decimal(0)), "f")
              for category in WORK_CATEGORIES),
            record.pledges, rules.amounts_text(record.pledged),
            rules.amounts_text(record.pledged_value), record.deliveries,
            rules.amounts_text(record.delivered), rules.amounts_text(record.delivered_value),
            " ".join(f"{kind}:{count}" for kind, count in sorted(record.kinds.items())),
        ]])
    return out.getvalue()
