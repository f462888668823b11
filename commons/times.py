"""Times as people read them: "in 2 days", "3 hours ago", with the exact
time beside them. Pure rules; the page helper in web.py passes the clock."""

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400),
          ("day", 86400), ("hour", 3600), ("minute", 60))


def _aware(moment: datetime) -> datetime:
    # The database gives naive UTC on SQLite and aware UTC on PostgreSQL.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def relative(moment: datetime, now: datetime) -> str:
    """"in 2 days", "3 hours ago", "just now": the largest whole unit."""
    seconds = (_aware(moment) - _aware(now)).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "just now"
    for unit, size in _UNITS:
        if span >= size:
            count = int(span // size)
            words = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {words}" if seconds > 0 else f"{words} ago"
    raise AssertionError("unreachable: a minute or more always has a unit")


def exact(moment: datetime, zone: tzinfo | None = None) -> str:
    """"2026-12-01 14:30 UTC", or in *zone* with its abbreviation or offset."""
    local = _aware(moment).astimezone(zone or UTC)
    name = local.tzname() or local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {name}"


def iso(moment: datetime) -> str:
    """What a <time datetime> attribute holds: UTC, to the second."""
    return _aware(moment).astimezone(UTC).isoformat(timespec="seconds")


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, "UTC" first, then by name."""
    return ("UTC", *sorted(available_timezones() - {"UTC"}))


def zone(name: str | None) -> ZoneInfo | None:
    """The zone called *name* ("Europe/Berlin"), or None when there is no
    such zone (or no name): only names from zone_names() count, so a path
    or an odd file name never reaches the zone database."""
    if not name or name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
