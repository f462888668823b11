"""Reading a project's value rule versions and the recognition its
people earned in a period. One aggregate query per period, grouped by
person, kind of work, rating, confirmed or not and the rule version in
force (dates bucketed at each adoption day), so a distribution over
100,000 work entries never builds a row per entry in Python."""

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.governance.models import Proposal
from commons.ledger.models import WorkLog
from commons.projects.models import Project
from commons.recognition.models import RecognitionRule
from commons.recognition.rules import (
    DEFAULT_RULE,
    LineKey,
    PersonRecognition,
    ValueRule,
    parse_rule,
    person_recognition,
    ranked,
    rule_on,
)


def _rule(row: RecognitionRule) -> ValueRule:
    # Stored rules were checked when their proposal was opened.
    return parse_rule({"weights": row.weights or {}, "onerous": bool(row.onerous_multiplies)},
                      version=row.version, adopted_at=row.adopted_at,
                      proposal_id=row.proposal_id)


def rule_versions(session: Session, project: Project) -> list[ValueRule]:
    """Every version the project adopted, oldest first (the default, version
    0, is not among them)."""
    rows = session.scalars(sa.select(RecognitionRule)
                           .where(RecognitionRule.project_id == project.id)
                           .order_by(RecognitionRule.version))
    return [_rule(row) for row in rows]


def rule_in_force(session: Session, project: Project, now: datetime) -> ValueRule:
    """The version that applies to work done today (the default when the
    project adopted none yet)."""
    return rule_on(rule_versions(session, project), now.date())


def next_version(session: Session, project: Project) -> int:
    latest = session.scalar(sa.select(sa.func.max(RecognitionRule.version))
                            .where(RecognitionRule.project_id == project.id))
    return int(latest or 0) + 1


def recognition_for(session: Session, project: Project, start: date, end: date,
                    versions: list[ValueRule] | None = None,
                    user_ids: Collection[int] | None = None) -> list[PersonRecognition]:
    """Each person's confirmed and unconfirmed hours of work dated
    *start* <= date < *end*, and the recognition the rule in force on each
    day gives their confirmed hours; most recognition first. Only the
    people *user_ids* when given (a page of contributors). Hours of
    deleted accounts are left out: nobody is there to recognise."""
    if versions is None:
        versions = rule_versions(session, project)
    # The rule at the start, then one bucket per adoption day inside the period.
    rules = [rule_on(versions, start)]
    bounds: list[date] = []
    for day in sorted({rule.adopted_on for rule in versions if rule.adopted_on is not None}):
        if start < day < end:
            bounds.append(day)
            rules.append(rule_on(versions, day))
    bucket: sa.ColumnElement[int]
    if bounds:
        bucket = sa.case(*((WorkLog.date >= day, len(bounds) - position)
                           for position, day in enumerate(reversed(bounds))), else_=0)
    else:
        bucket = sa.literal(0)
    # Hours carry two decimals, so hundredths summed as integers are exact on
    # both databases (text decimals do not add in SQL).
    each = (sa.select(WorkLog.user_id, WorkLog.category, WorkLog.onerous,
                      WorkLog.confirmed_by_id.is_not(None).label("confirmed"),
                      bucket.label("bucket"),
                      sa.func.round(sa.cast(WorkLog.hours, sa.Numeric(12, 2)) * 100)
                      .label("hundredths"))
            .where(WorkLog.user_id.is_not(None), WorkLog.date >= start, WorkLog.date < end))
    if user_ids is None:
        each = each.where(WorkLog.project_id == project.id)
    if user_ids is not None:
        # A page of people: their rows through (user_id, date), not a scan
        # of the whole project's; "+ 0" keeps SQLite (without statistics)
        # from choosing the (project_id, seq) index instead.
        each = (each.where(WorkLog.user_id.in_(list(user_ids)))
                .where((WorkLog.project_id + 0) == project.id))
    rows = each.subquery()
    # Groups as coarse as the arithmetic allows: unconfirmed hours per person
    # alone, ratings only under a rule that counts them.
    counting = [index for index, rule in enumerate(rules) if rule.onerous_multiplies]
    rating: sa.ColumnElement = sa.null()
    if counting:
        rating = sa.case((sa.and_(rows.c.confirmed, rows.c.bucket.in_(counting)), rows.c.onerous))
    keyed = sa.select(rows.c.user_id, rows.c.confirmed,
                      sa.case((rows.c.confirmed, rows.c.bucket), else_=0).label("bucket"),
                      sa.case((rows.c.confirmed, rows.c.category), else_="").label("category"),
                      rating.label("rating"), rows.c.hundredths).subquery()
    keys = (keyed.c.user_id, keyed.c.confirmed, keyed.c.bucket, keyed.c.category,
            keyed.c.rating)
    statement = sa.select(*keys, sa.func.sum(keyed.c.hundredths)).group_by(*keys)
    # Sums in integer hundredths, made Decimal once per line (a person's
    # lines number a few; their rows may number thousands).
    confirmed: dict[int, int] = {}
    unconfirmed: dict[int, int] = {}
    lines: dict[int, dict[LineKey, int]] = {}
    versions_of = [rule.version for rule in rules]
    for user_id, is_confirmed, index, category, rated, amount in session.execute(statement):
        amount = int(amount)
        if not is_confirmed:
            unconfirmed[user_id] = unconfirmed.get(user_id, 0) + amount
            continue
        confirmed[user_id] = confirmed.get(user_id, 0) + amount
        mine = lines.setdefault(user_id, {})
        key = (versions_of[index], category, None if rated is None else int(rated))
        mine[key] = mine.get(key, 0) + amount
    by_version = {rule.version: rule for rule in rules}
    return ranked(person_recognition(
        user_id, _hours(confirmed.get(user_id, 0)), _hours(unconfirmed.get(user_id, 0)),
        {key: _hours(amount) for key, amount in lines.get(user_id, {}).items()}, by_version)
        for user_id in confirmed.keys() | unconfirmed.keys())


def _hours(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


def usernames(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The username of each id, in one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    return {user_id: name for user_id, name in session.execute(
        sa.select(User.id, User.username).where(User.id.in_(wanted)))}


def proposal_numbers(session: Session, versions: Iterable[ValueRule]) -> dict[int, int]:
    """The number (in its project) of each proposal that adopted a version."""
    wanted = {rule.proposal_id for rule in versions if rule.proposal_id is not None}
    if not wanted:
        return {}
    return {proposal_id: number for proposal_id, number in session.execute(
        sa.select(Proposal.id, Proposal.number).where(Proposal.id.in_(wanted)))}


def month_bounds(period: str) -> tuple[date, date]:
    """The first day of a month "YYYY-MM" and the first day of the next."""
    first = date.fromisoformat(period + "-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following


__all__ = ["DEFAULT_RULE", "month_bounds", "next_version", "proposal_numbers",
           "recognition_for", "rule_in_force", "rule_versions", "usernames"]
