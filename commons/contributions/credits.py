"""Credits: contributions of the All Contributors kinds that members
record for someone, with a link to the evidence."""

import re
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from commons.accounts.models import User
from commons.contributions import rules
from commons.contributions.models import Credit
from commons.problems import Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.text import TextError, clean_text


def credit(session: Session, project: Project, actor: User, username: object, kind: object,
           evidence_url: object, note: object = "", day: object = None,
           *, now: datetime) -> Credit:
    """A member credits someone (themselves included) with a contribution
    of an All Contributors kind, with a link to the evidence."""
    if not project.is_member(actor):
        raise Forbidden(f"Members of {project.name} record contributions; join the project "
                        "first.")
    kind = str(kind or "").strip()
    if kind not in rules.KINDS:
        raise Invalid(f"Kind is one of the All Contributors kinds: {', '.join(rules.KINDS)}.",
                      field="kind")
    url = check_url(evidence_url)
    try:
        note = clean_text(str(note or ""), label="Note", max_length=2000, required=False,
                          multiline=True)
    except TextError as error:
        raise Invalid(str(error), field="note") from None
    worked_on = check_day(day, now.date()) or now.date()
    name = str(username or "").strip().lstrip("@").lower()
    if not name:
        raise Invalid("Say whose contribution this is: their username.", field="username")
    person = session.scalar(sa.select(User).where(User.username == name))
    if person is None:
        raise Invalid(f"No account is called {name!r}; they register first, then you credit "
                      "them.", field="username")
    record = Credit(project_id=project.id, user=person, kind=kind, evidence_url=url, note=note,
                    day=worked_on, recorded_by=actor, recorded_at=now)
    session.add(record)
    session.flush()
    return record


def remove_credit(session: Session, project: Project, actor: User, credit_id: int) -> Credit:
    """The member who recorded a credit, or the person credited, removes it."""
    record = session.scalar(sa.select(Credit).where(Credit.project_id == project.id,
                                                    Credit.id == credit_id))
    if record is None:
        raise NotFound(f"{project.name} has no credit #{credit_id}.")
    if actor.id not in (record.user_id, record.recorded_by_id):
        raise Forbidden("Only who recorded a credit, or who it credits, removes it.")
    session.delete(record)
    session.flush()
    return record


def list_credits(session: Session, project: Project, user: User | None = None,
                 limit: int = 200) -> list[Credit]:
    parameters = {"project_id": project.id, "limit": limit}
    if user is not None:
        parameters["user_id"] = user.id
    return list(session.scalars(_credits_statement(user is not None), parameters))


@lru_cache(maxsize=2)
def _credits_statement(only: bool) -> sa.Select:
    """The newest credits of a project (of one person), with who they
    credit and who recorded them: built once (the contributors page lists
    them on every view)."""
    query = sa.select(Credit).where(Credit.project_id == sa.bindparam("project_id")).options(
        joinedload(Credit.user), joinedload(Credit.recorded_by))
    if only:
        query = query.where(Credit.user_id == sa.bindparam("user_id"))
    return query.order_by(Credit.day.desc(), Credit.id.desc()).limit(sa.bindparam("limit"))


def check_url(value: object) -> str:
    url = str(value or "").strip()
    try:
        parts = urlsplit(url) if len(url) <= 2000 else None
    except ValueError:  # "http://[oops": a bracket that opens no IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or re.search(r"[\s<>\"]", url):
        raise Invalid("Evidence is a link starting with https:// or http:// (a commit, a "
                      "document, a photo, a post), at most 2000 characters.",
                      field="evidence_url")
    return url


def check_day(value: object, today: date) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise Invalid("Date is written YYYY-MM-DD.", field="date") from None
    if day > today:
        raise Invalid(f"Date {day.isoformat()} is in the future; record it once it has "
                      "happened.", field="date")
    return day
