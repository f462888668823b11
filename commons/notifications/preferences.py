"""How a person wants to hear of things: their mail mode, the kinds of
mail they turned off, and watch or ignore per project."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.notifications import rules
from commons.notifications.models import NotificationSettings, ProjectWatch
from commons.problems import Invalid
from commons.projects.models import Membership, Project


@dataclass(frozen=True)
class Preferences:
    mode: str
    muted: frozenset[str]
    levels: dict[int, str]  # project id -> "watch" / "ignore" (absent: "default")


def preferences(session: Session, user: User) -> Preferences:
    """*user*'s preferences, defaults filled in."""
    row = session.get(NotificationSettings, user.id)
    levels = dict(session.execute(sa.select(ProjectWatch.project_id, ProjectWatch.level).where(
        ProjectWatch.user_id == user.id)).all())
    return Preferences(row.mode if row else "default",
                       frozenset(row.muted or ()) if row else frozenset(), levels)


def _settings_row(session: Session, user: User) -> NotificationSettings:
    row = session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id, mode="default", muted=[])
        session.add(row)
    return row


def set_mode(session: Session, user: User, mode: str,
             muted: frozenset[str] | set[str] | None = None) -> None:
    """Set *user*'s mail mode (and, given, the kinds of mail turned off)."""
    if mode not in rules.MODES:
        raise Invalid(f"Mail is one of: {', '.join(rules.MODES)}.", field="mode")
    row = _settings_row(session, user)
    row.mode = mode
    if muted is not None:
        unknown = set(muted) - set(rules.EVENTS) - {"digest"}
        if unknown:
            raise Invalid(f"No kind of mail is called {sorted(unknown)[0]!r}.", field="muted")
        row.muted = sorted(muted)
    session.flush()


def mute(session: Session, user: User, kind: str) -> None:
    """Turn off one kind of mail (an event, or "digest") for *user*: what
    an unsubscribe link does. Their inbox still lists it."""
    if kind not in rules.EVENTS and kind != "digest":
        raise Invalid(f"No kind of mail is called {kind!r}.")
    row = _settings_row(session, user)
    if kind not in (row.muted or []):
        row.muted = sorted({*(row.muted or []), kind})
    session.flush()


def set_level(session: Session, user: User, project: Project, level: str) -> None:
    """Watch, ignore, or go back to the default for *project*."""
    if level not in rules.LEVELS:
        raise Invalid(f"A project is one of: {', '.join(rules.LEVELS)}.", field="level")
    row = session.get(ProjectWatch, (user.id, project.id))
    if level == "default":
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(ProjectWatch(user_id=user.id, project_id=project.id, level=level))
    else:
        row.level = level
    session.flush()


def projects_of(session: Session, user: User) -> list[Project]:
    """The projects whose notices *user* may tune: theirs, and any they set."""
    member = sa.select(Membership.project_id).where(Membership.user_id == user.id,
                                                    Membership.status == Membership.MEMBER)
    chosen = sa.select(ProjectWatch.project_id).where(ProjectWatch.user_id == user.id)
    return list(session.scalars(sa.select(Project).where(
        sa.or_(Project.id.in_(member), Project.id.in_(chosen))).order_by(Project.name)))
