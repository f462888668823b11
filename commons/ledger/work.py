"""Work: a member logs their own hours, at most 24 a day across projects."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import rules
from commons.ledger.checks import checked_text, require_member, rule_problem
from commons.ledger.confirm_rules import check_onerous
from commons.ledger.journal import append_entry, fold_entry, hold_journal
from commons.ledger.models import WorkLog
from commons.ledger.rules import RuleError
from commons.problems import Invalid
from commons.projects.models import Project


def log_work(session: Session, project: Project, actor: User, hours: object, category: object,
             description: object, worked_on: object = None,
             *, now: datetime, max_days_back: int = rules.WORK_MAX_DAYS_BACK,
             onerous: object = None) -> WorkLog:
    """A member logs their own hours: at most 24 in a day, across projects,
    on a day since they joined and at most *max_days_back* days ago,
    optionally rating how onerous the work was (1 to 3, *onerous*)."""
    require_member(project, actor, "log work")
    membership = project.membership_of(actor)
    joined = membership.joined_at if membership is not None else None
    category = str(category or "").strip().lower()
    if category not in rules.WORK_CATEGORIES:
        raise Invalid(f"Category is one of: {', '.join(rules.WORK_CATEGORIES)}.",
                      field="category")
    description = checked_text(description, "Description", "description", 2000, multiline=True)
    try:
        amount = rules.quantity(hours, "hour", "hours", field_name="hours")
        rating = check_onerous(onerous)
        day = rules.check_work_date(worked_on, today=now.date(),
                                    joined=joined.date() if joined else None,
                                    max_days_back=max_days_back)
    except RuleError as error:
        raise rule_problem(error) from None
    held = hold_journal(session, project)
    check_day(session, actor, date.fromisoformat(day), amount)
    data = {"worker": actor.username, "hours": rules.text(amount), "category": category,
            "description": description, "date": day}
    if rating is not None:  # absent, not null: entries before issue 20 hash as they did
        data["onerous"] = rating
    entry = append_entry(session, project, held, actor, "work", data, now)
    fold_entry(session, project, entry, data, None, now, worker=actor)
    session.flush()
    return session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                   WorkLog.seq == entry.seq))


def check_day(session: Session, user: User | None, day: date, adding: Decimal) -> None:
    """At most 24 hours a day per person across projects: the person's row
    is locked first, so two projects logging at once cannot both fit."""
    if user is None:
        return
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    logged = sum(session.scalars(sa.select(WorkLog.hours).where(WorkLog.user_id == user.id,
                                                                WorkLog.date == day)),
                 Decimal(0))
    if logged + adding > rules.MAX_HOURS_PER_DAY:
        raise Invalid(f"{user.username} has {rules.text(logged)} hours logged on "
                      f"{day.isoformat()} already; a day has 24.", field="hours")
