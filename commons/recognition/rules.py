"""The value rule a project adopts by consent and the recognition it gives
each person: confirmed hours times the weight of their kind of work (times
the worker's own rating of how onerous it was, when the rule says so).
Pure rules over plain values; no Flask, no database.

A version of the rule applies to work dated on or after the UTC day it
was adopted, never to earlier work: people worked under the rule then in
force, and a later vote does not rewrite what their hours were worth."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from commons.ledger.quantity_rules import RuleError
from commons.ledger.work_rules import WORK_CATEGORIES

__all__ = ["DEFAULT_RULE", "MAX_WEIGHT", "Hours", "Line", "PersonRecognition", "RuleError",
           "ValueRule", "WorkEntry", "figure", "parse_rule", "recognise", "rule_details",
           "parse_period", "person_recognition", "ranked", "rule_on", "tally", "weighted_hours"]

# A weight above this is a typo more often than a choice: one hour of a
# kind of work worth more than a hundred of another.
MAX_WEIGHT = Decimal(100)
WEIGHT_DECIMALS = 2
ONE = Decimal(1)


@dataclass(frozen=True)
class ValueRule:
    """One version of a project's rule: a weight per work category (a
    category not named weighs 1) and whether the worker's onerous rating
    (1–3) multiplies it. Version 0, adopted at None, is the default every
    project starts with."""

    version: int
    weights: dict[str, Decimal] = field(hash=False)
    onerous_multiplies: bool
    adopted_at: datetime | None
    # The proposal that adopted it (None for the default or a deleted one).
    proposal_id: int | None = None

    def weight(self, category: str) -> Decimal:
        return self.weights.get(category, ONE)

    @property
    def adopted_on(self) -> date | None:
        """The first day of work this version applies to: its adoption's
        UTC date (adopted_at is stored aware, in UTC)."""
        return None if self.adopted_at is None else self.adopted_at.date()


DEFAULT_RULE = ValueRule(version=0, weights={category: ONE for category in WORK_CATEGORIES},
                         onerous_multiplies=False, adopted_at=None)


def _weight(category: str, value: object) -> Decimal:
    label = f"The weight of {WORK_CATEGORIES[category].lower()} ({category})"
    if value is None or (isinstance(value, str) and not value.strip()):
        return ONE
    if isinstance(value, bool):
        raise RuleError(f"{label} is a number such as \"1.5\", not true or false.", category)
    if isinstance(value, float):
        value = repr(value)  # JSON numbers arrive as floats; their shortest text is what was sent
    if isinstance(value, int):
        value = str(value)
    try:
        weight = Decimal(value.strip()) if isinstance(value, str) else value
    except InvalidOperation:
        weight = None
    if not isinstance(weight, Decimal) or not weight.is_finite():
        raise RuleError(f"{label} is a number such as \"1.5\"; “{value}” is not.", category)
    if weight < 0:
        raise RuleError(f"{label} cannot be negative: use 0 for work that should not count, "
                        "or a weight between 0 and 100.", category)
    if weight > MAX_WEIGHT:
        raise RuleError(f"{label} is at most {MAX_WEIGHT}; “{value}” is more.", category)
    if weight != weight.quantize(Decimal(1).scaleb(-WEIGHT_DECIMALS)):
        raise RuleError(f"{label} has at most {WEIGHT_DECIMALS} decimals, such as \"1.25\"; "
                        f"“{value}” has more.", category)
    return weight.quantize(Decimal(1).scaleb(-WEIGHT_DECIMALS))


def parse_rule(raw: object, *, version: int = 0, adopted_at: datetime | None = None,
               proposal_id: int | None = None) -> ValueRule:
    """A rule from what a proposal sends: ``{"weights": {"care": "1.5"},
    "onerous": true}``. Categories not named weigh 1; raises RuleError
    (its field the category) for anything else."""
    if not isinstance(raw, Mapping):
        raise RuleError('A recognition rule is {"weights": {"care": "1.5", ...}, '
                        '"onerous": true or false}.', "recognition_rule")
    unknown = set(raw) - {"weights", "onerous"}
    if unknown:
        raise RuleError(f"A recognition rule has weights and onerous, not "
                        f"{', '.join(sorted(map(str, unknown)))}.", "recognition_rule")
    given = raw.get("weights") or {}
    if not isinstance(given, Mapping):
        raise RuleError('weights is an object of weights per kind of work, such as '
                        '{"care": "1.5"}.', "recognition_rule")
    strange = sorted(str(name) for name in given if name not in WORK_CATEGORIES)
    if strange:
        raise RuleError(f"{', '.join(strange)} is not a kind of work; weigh "
                        f"{', '.join(WORK_CATEGORIES)}.", "recognition_rule")
    weights = {category: _weight(category, given.get(category)) for category in WORK_CATEGORIES}
    if not any(weights.values()):
        raise RuleError("At least one kind of work must weigh more than 0, or no hours "
                        "would count.", "recognition_rule")
    onerous = raw.get("onerous", False)
    if onerous is None:
        onerous = False
    if not isinstance(onerous, bool):
        raise RuleError("onerous is true (the worker's rating of 1 to 3 multiplies the "
                        "weight) or false.", "onerous")
    return ValueRule(version, weights, onerous, adopted_at, proposal_id)


def rule_details(rule: ValueRule) -> dict[str, object]:
    """The rule as a proposal keeps it: every weight as decimal text."""
    return {"weights": {category: figure(rule.weight(category)) for category in WORK_CATEGORIES},
            "onerous": rule.onerous_multiplies}


def rule_on(versions: Iterable[ValueRule], day: date) -> ValueRule:
    """The version in force for work done on *day*: the latest one adopted
    on or before it (by UTC date; the higher version wins a tie), else the
    default."""
    found = DEFAULT_RULE
    for rule in versions:
        adopted = rule.adopted_on
        if adopted is None or adopted > day:
            continue
        if found.adopted_on is None or (adopted, rule.version) > (found.adopted_on,
                                                                  found.version):
            found = rule
    return found


def weighted_hours(hours: Decimal, category: str, onerous: int | None,
                   rule: ValueRule) -> Decimal:
    """*hours* x the category's weight x the onerous rating, when the rule
    counts ratings and the entry has one."""
    result = hours * rule.weight(category)
    if rule.onerous_multiplies and onerous is not None:
        result *= onerous
    return result


def figure(value: Decimal) -> str:
    """A decimal as people write it: 6, 1.5, 4.25 (no trailing zeros)."""
    if value == value.to_integral_value():
        return str(value.to_integral_value())
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class WorkEntry:
    """One work log as plain values."""

    user_id: int
    day: date
    hours: Decimal
    category: str
    onerous: int | None
    confirmed: bool


@dataclass(frozen=True)
class Hours:
    """Hours summed under one rule version: what the aggregate query gives
    (one per person, version, category, rating, confirmed or not)."""

    user_id: int
    rule: ValueRule
    category: str
    onerous: int | None
    confirmed: bool
    hours: Decimal


class Line(NamedTuple):
    """One line of a person's arithmetic: confirmed hours of a category
    under one rule version (and one rating, when ratings count). A named
    tuple: a month of a big project makes tens of thousands."""

    category: str
    hours: Decimal
    weight: Decimal
    rating: int | None  # the multiplying rating, only when the rule counts ratings
    version: int
    result: Decimal

    @property
    def text(self) -> str:
        factors = [f"{figure(self.hours)} h", figure(self.weight)]
        if self.rating is not None:
            factors.append(f"{self.rating} (onerous)")
        head = self.category if self.version == 0 else f"{self.category} (rule v{self.version})"
        return f"{head}: {' × '.join(factors)} = {figure(self.result)}"


@dataclass(frozen=True)
class PersonRecognition:
    """A person's hours in a period and the recognition the rule gives
    them, with the arithmetic that makes it."""

    user_id: int
    confirmed_hours: Decimal
    unconfirmed_hours: Decimal
    recognition: Decimal
    lines: tuple[Line, ...]


def tally(totals: Iterable[Hours]) -> list[PersonRecognition]:
    """Recognition per person from hours already matched to their rule:
    only confirmed hours count; most recognition first."""
    confirmed: dict[int, Decimal] = {}
    unconfirmed: dict[int, Decimal] = {}
    grouped: dict[int, dict[LineKey, Decimal]] = {}
    rules: dict[int, ValueRule] = {}
    for total in totals:
        if not total.confirmed:
            unconfirmed[total.user_id] = unconfirmed.get(total.user_id, Decimal(0)) + total.hours
            continue
        confirmed[total.user_id] = confirmed.get(total.user_id, Decimal(0)) + total.hours
        rules[total.rule.version] = total.rule
        rating = total.onerous if total.rule.onerous_multiplies else None
        key = (total.rule.version, total.category, rating)
        mine = grouped.setdefault(total.user_id, {})
        mine[key] = mine.get(key, Decimal(0)) + total.hours
    return ranked(person_recognition(user_id, confirmed.get(user_id, Decimal(0)),
                                     unconfirmed.get(user_id, Decimal(0)),
                                     grouped.get(user_id, {}), rules)
                  for user_id in confirmed.keys() | unconfirmed.keys())


# A line of the arithmetic: (rule version, category, the multiplying rating or None).
LineKey = tuple[int, str, int | None]
_ORDER = {category: n for n, category in enumerate(WORK_CATEGORIES)}


def person_recognition(user_id: int, confirmed: Decimal, unconfirmed: Decimal,
                       lines: Mapping[LineKey, Decimal],
                       rules: Mapping[int, ValueRule]) -> PersonRecognition:
    """A person's recognition from their confirmed hours per line (the
    rating in a key only when its rule counts ratings)."""
    made = []
    total = Decimal(0)
    for key in sorted(lines, key=_line_order):
        version, category, rating = key
        rule = rules[version]
        hours = lines[key]
        result = weighted_hours(hours, category, rating, rule)
        total += result
        made.append(Line(category, hours, rule.weight(category), rating, version, result))
    return PersonRecognition(user_id, confirmed, unconfirmed, total, tuple(made))


def ranked(people: Iterable[PersonRecognition]) -> list[PersonRecognition]:
    """Most recognition first, then most confirmed hours, then by id."""
    return sorted(people, key=lambda person: (-person.recognition, -person.confirmed_hours,
                                              person.user_id))


def _line_order(key: LineKey) -> tuple[int, int, str, int]:
    version, category, rating = key
    return version, _ORDER.get(category, 99), category, rating or 0


def recognise(entries: Iterable[WorkEntry], versions: Sequence[ValueRule]
              ) -> list[PersonRecognition]:
    """Recognition per person from single work entries, each under the
    rule in force on its day."""
    return tally(Hours(entry.user_id, rule_on(versions, entry.day), entry.category,
                       entry.onerous, entry.confirmed, entry.hours) for entry in entries)


_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def parse_period(value: object, today: date) -> str:
    """A month "YYYY-MM" (empty: the month of *today*)."""
    if value is None or value == "":
        return today.isoformat()[:7]
    if not isinstance(value, str) or not _PERIOD.fullmatch(value.strip()) \
            or not "1970-01" <= value.strip() <= "9998-12":
        raise RuleError(f"period is a month written YYYY-MM from 1970-01 to 9998-12, such as "
                        f"{today.isoformat()[:7]}.", "period")
    return value.strip()
