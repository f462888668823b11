"""Project use cases: create, find, join, leave. Session first; flush,
never commit."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from commons import signals
from commons.accounts.models import User
from commons.git.indexing import index_commits
from commons.git.repositories import (
    Identity,
    RepositoryError,
    create_repository,
    remove_repository,
    repository_path,
)
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects import licences, rules
from commons.projects.models import Membership, Project
from commons.projects.rules import Policy, Threshold
from commons.text import TextError, clean_text
from commons.undo import on_rollback


@dataclass(frozen=True)
class Settings:
    """What project services need from the configuration."""

    repos_dir: Path
    min_review_window: int
    default_review_window: int
    default_threshold: Threshold

    @classmethod
    def from_config(cls, config) -> "Settings":
        threshold = config["DEFAULT_APPROVAL_THRESHOLD"]
        return cls(
            repos_dir=Path(config["REPOS_DIR"]),
            min_review_window=int(config["MIN_REVIEW_WINDOW"]),
            default_review_window=int(config["DEFAULT_REVIEW_WINDOW"]),
            default_threshold=Threshold(Decimal(str(threshold["amount"])), threshold["currency"]),
        )


@dataclass
class NewProject:
    """What a founder chooses; unset policy fields take the defaults."""

    name: str
    slug: str
    license: str
    description: str = ""
    admission: str | None = None
    push: str | None = None
    review_window: int | None = None
    approval_threshold: Threshold | None = None
    outside: str | None = None
    notify_outside_authors: bool = False


def create_project(session: Session, founder: User, new: NewProject,
                   settings: Settings, now: datetime) -> Project:
    """Create a project, its founder's membership and its bare repository
    with a first commit holding README.md and LICENSE.

    Either all of it exists afterwards or none of it: a failed database write
    removes the repository again (see ``commons.undo``)."""
    problems: dict[str, str] = {}
    name = _clean(problems, "name", new.name, "Name", 100)
    description = _clean(problems, "description", new.description, "Description",
                         2000, required=False, multiline=True)
    slug = (new.slug or "").strip()
    if problem := rules.slug_problem(slug):
        problems["slug"] = problem
    licence = licences.find_licence(new.license)
    if problem := licences.licence_problem(new.license):
        problems["license"] = problem
    policy = Policy(
        admission=new.admission or "open",
        push=new.push or "review",
        review_window=new.review_window if new.review_window is not None
        else settings.default_review_window,
        approval_threshold=new.approval_threshold or settings.default_threshold,
        outside=new.outside or "accept",
        notify_outside_authors=new.notify_outside_authors,
    )
    problems.update(rules.policy_problems(policy, min_review_window=settings.min_review_window))
    if problems:
        field, message = next(iter(problems.items()))
        raise Invalid(message, field=field, problems=problems)
    assert licence is not None  # licence_problem() said it is known
    if session.scalar(sa.select(Project.id).where(Project.slug == slug)):
        raise Conflict(f"A project with the slug “{slug}” exists; pick another slug.", field="slug")

    project = Project(
        slug=slug, name=name, description=description, license=licence.id,
        admission=policy.admission, push_policy=policy.push, outside=policy.outside,
        notify_outside_authors=policy.notify_outside_authors,
        review_window=policy.review_window,
        approval_amount=policy.approval_threshold.amount,
        approval_currency=policy.approval_threshold.currency,
        created_by=founder, created_at=now,
    )
    project.memberships.append(
        Membership(user=founder, status=Membership.MEMBER, requested_at=now, joined_at=now)
    )
    session.add(project)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A project with the slug “{slug}” was just created; pick another slug.",
                       field="slug") from None

    path = repository_path(settings.repos_dir, slug)
    author = Identity(founder.username, founder.primary_email or f"{founder.username}@users.commons")
    try:
        first_commit = create_repository(
            path,
            {
                "README.md": _readme(name, description, licence).encode(),
                "LICENSE": licences.licence_text(
                    licence.id, year=now.year, holders=f"The {name} contributors").encode(),
            },
            author=author, message=f"Start {name} under {licence.id}", when=now,
        )
    except RepositoryError as error:
        session.rollback()
        raise Conflict(
            f"The repository for “{slug}” could not be created ({error}). "
            "Pick another slug, or ask an administrator to clear the folder."
        ) from None
    on_rollback(session, lambda: remove_repository(path))
    index_commits(session, project.id, path, [first_commit])
    return project


# Every project page starts here: built once, as building the statement
# and its cache key cost more than running it (bench/README.md, "Under load").
_BY_SLUG = sa.select(Project).where(Project.slug == sa.bindparam("slug"))
# Each membership's account in the same query: two round trips, not three.
_BY_SLUG_WITH_MEMBERS = _BY_SLUG.options(
    selectinload(Project.memberships).joinedload(Membership.user))


def get_project(session: Session, slug: str, with_members: bool = True) -> Project:
    """The project named *slug*; raise NotFound. Pages that show no members
    (browsing, fetching) skip loading them."""
    project = session.scalar(_BY_SLUG_WITH_MEMBERS if with_members else _BY_SLUG,
                             {"slug": slug})
    if project is None:
        raise NotFound(f"There is no project “{slug}”. Check the address, or browse /projects.")
    return project


def search_projects(session: Session, query: str = "", limit: int = 50,
                    offset: int = 0) -> list[Project]:
    """Projects whose name, slug or description contains every word of *query*."""
    statement = (
        sa.select(Project)
        .options(selectinload(Project.memberships).joinedload(Membership.user))
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    for word in (query or "").split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(sa.or_(
            Project.name.ilike(pattern, escape="\\"),
            Project.slug.ilike(pattern, escape="\\"),
            Project.description.ilike(pattern, escape="\\"),
        ))
    return list(session.scalars(statement.limit(limit).offset(offset)))


def join_project(session: Session, project: Project, user: User,
                 now: datetime) -> Membership:
    """Make *user* a member (``open`` admission) or record their request for
    the members to consent to (``consent`` admission)."""
    membership = project.membership_of(user)
    if membership is not None and membership.status == Membership.MEMBER:
        raise Conflict(f"You are already a member of {project.name}.")
    if membership is not None and membership.status == Membership.PENDING:
        raise Conflict(f"Your request to join {project.name} is already waiting for the members.")
    if membership is None:
        membership = Membership(project=project, user=user)
        session.add(membership)
    membership.requested_at = now
    membership.left_at = None
    if project.admission == "open":
        membership.status = Membership.MEMBER
        membership.joined_at = now
    else:
        membership.status = Membership.PENDING
        membership.joined_at = None
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("You joined in another window a moment ago; reload the page.") from None
    if membership.status == Membership.MEMBER:
        signals.member_joined.send(project, session=session, user=user, now=now)
    return membership


def leave_project(session: Session, project: Project, user: User,
                  now: datetime) -> Membership:
    """End *user*'s membership or withdraw their pending request."""
    membership = project.membership_of(user)
    if membership is None or membership.status == Membership.LEFT:
        raise Conflict(f"You are not a member of {project.name}.")
    was_member = membership.status == Membership.MEMBER
    # Lock the project row so two last members cannot both leave at once.
    session.execute(sa.select(Project.id).where(Project.id == project.id).with_for_update())
    membership.status = Membership.LEFT
    membership.left_at = now
    membership.treasurer = False  # the role ends with the membership; a policy grants it again
    session.flush()
    if was_member and _member_count(session, project) == 0:
        session.rollback()
        raise Forbidden(
            f"You are the only member of {project.name}; a project needs at least one. "
            "Invite someone to join before you leave."
        )
    return membership


def _member_count(session: Session, project: Project) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Membership)
        .where(Membership.project_id == project.id, Membership.status == Membership.MEMBER)
    ) or 0


def _clean(problems: dict[str, str], field: str, value: str, label: str,
           max_length: int, **options) -> str:
    try:
        return clean_text(value, label=label, max_length=max_length, **options)
    except TextError as error:
        problems[field] = str(error)
        return ""


def _readme(name: str, description: str, licence: licences.Licence) -> str:
    parts = [f"# {name}", ""]
    if description:
        parts += [description, ""]
    parts += [f"Licensed under {licence.name} ({licence.id}); see `LICENSE`.", ""]
    return "\n".join(parts)
