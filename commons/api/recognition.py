"""Recognition in the API: the project's value rule versions, and per
person for a month their confirmed and unconfirmed hours, the arithmetic
lines and the recognition (decimals as strings, exact)."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_smorest import Blueprint

from commons import clock, paging
from commons.api import schemas
from commons.extensions import db
from commons.problems import Invalid
from commons.projects import services as projects
from commons.recognition import queries
from commons.recognition.rules import (
    PersonRecognition,
    RuleError,
    ValueRule,
    figure,
    parse_period,
    rule_details,
    rule_on,
)
from commons.urls import absolute_url

blp = Blueprint("api_recognition", __name__,
                description="Recognition of work: the value rule a project adopted by consent "
                            "and confirmed hours times its weights, per person and month")


def rule_json(rule: ValueRule, numbers: dict[int, int]) -> dict:
    return {"version": rule.version, **rule_details(rule),
            "adopted_at": rule.adopted_at.isoformat() if rule.adopted_at else None,
            "applies_from": rule.adopted_on.isoformat() if rule.adopted_on else None,
            "proposal": numbers.get(rule.proposal_id) if rule.proposal_id else None}


def person_json(person: PersonRecognition, names: dict[int, str]) -> dict:
    return {"username": names.get(person.user_id),
            "confirmed_hours": figure(person.confirmed_hours),
            "unconfirmed_hours": figure(person.unconfirmed_hours),
            "recognition": figure(person.recognition),
            "lines": [{"category": line.category, "hours": figure(line.hours),
                       "weight": figure(line.weight), "onerous": line.rating,
                       "rule_version": line.version, "result": figure(line.result),
                       "text": line.text} for line in person.lines]}


@blp.route("/projects/<slug>/recognition/rules", methods=["GET"])
@blp.response(200, schemas.RecognitionRulesOut)
def rules(slug: str):
    """The rule in force today and every version adopted, newest first
    (version 0, all weights 1, is the default before any)."""
    project = projects.get_project(db.session, slug, with_members=False)
    versions = queries.rule_versions(db.session, project)
    numbers = queries.proposal_numbers(db.session, versions)
    return {"project": project.slug,
            "in_force": rule_json(rule_on(versions, clock.now().date()), numbers),
            "versions": [rule_json(rule, numbers) for rule in reversed(versions)]}


@blp.route("/projects/<slug>/recognition", methods=["GET"])
@blp.arguments(schemas.RecognitionQuery, location="query")
@blp.response(200, schemas.RecognitionOut)
def recognition(query, slug: str):
    """Per person, for the month ?period=YYYY-MM (the current month by
    default): confirmed and unconfirmed hours, and the recognition the
    rule in force on each day gives the confirmed ones, with the
    arithmetic; most recognition first, ?limit at a time (100 by default,
    at most 500), `total` counting everyone and `next` (also a `Link: <...>;
    rel="next"` header, absent on the last page) the next page."""
    project = projects.get_project(db.session, slug, with_members=False)
    try:
        period = parse_period(query.get("period"), clock.now().date())
    except RuleError as error:
        raise Invalid(str(error), field="period") from None
    after = _after(query["cursor"]) if query.get("cursor") else None
    start, end = queries.month_bounds(period)
    versions = queries.rule_versions(db.session, project)
    everyone = queries.recognition_for(db.session, project, start, end, versions=versions)
    # Keyset over the ranking, so a page costs the same wherever it starts
    # and the month stays the one asked for (the next link names it).
    page = [person for person in everyone if after is None or _rank(person) > after]
    limit = query["limit"]
    following = None
    if len(page) > limit:
        last = page[limit - 1]
        following = absolute_url(
            "api_recognition.recognition", slug=project.slug, period=period, limit=limit,
            cursor=paging.encode((str(last.recognition), str(last.confirmed_hours),
                                  last.user_id)))
    page = page[:limit]
    names = queries.usernames(db.session, (person.user_id for person in page))
    return ({"project": project.slug, "period": period, "start": start.isoformat(),
             "end": (end - timedelta(days=1)).isoformat(),
             "rules": [rule_json(rule, queries.proposal_numbers(db.session, versions))
                       for rule in _rules_applied(versions, start, end)],
             "people": [person_json(person, names) for person in page],
             "total": len(everyone), "next": following}, 200, paging.link_next(following))


def _rank(person: PersonRecognition) -> tuple[Decimal, Decimal, int]:
    """Where a person stands in ``rules.ranked``'s order, as a sort key."""
    return -person.recognition, -person.confirmed_hours, person.user_id


def _after(cursor: str) -> tuple[Decimal, Decimal, int]:
    """The rank a cursor starts after; 400 for one this list did not give."""
    recognition, hours, user_id = paging.decode(cursor, (str, str, int))
    try:
        key = -Decimal(recognition), -Decimal(hours), user_id
    except InvalidOperation:
        raise paging.not_given_out() from None
    if not all(part.is_finite() for part in key[:2]):
        raise paging.not_given_out()
    return key


def _rules_applied(versions: list[ValueRule], start, end) -> list[ValueRule]:
    """The versions in force on some day of the period, oldest first."""
    found = [rule_on(versions, start)]
    for rule in versions:
        if rule.adopted_on is not None and start < rule.adopted_on < end:
            applied = rule_on(versions, rule.adopted_on)
            if applied not in found:
                found.append(applied)
    return found
