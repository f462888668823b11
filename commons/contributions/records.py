"""Contributor records: one per person and project, every dimension read
from the kept tallies and the other domains' rows; a person's profile
across projects; the division of labour and monthly activity."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts import services as accounts
from commons.accounts.models import Email, User
from commons.contributions import rules
from commons.contributions.identities import trusted_mailmap
from commons.contributions.models import (
    Credit,
    Delivery,
    GitDay,
    GitTotal,
    LedgerDay,
    LedgerTotal,
    MailmapAddress,
)
from commons.contributions.tallies import CHUNK
from commons.git.repositories import repository_path
from commons.governance.models import Proposal, Stance
from commons.ledger.models import Pledge, WorkLog
from commons.projects.models import Membership, Project


def project_records(session: Session, project: Project, path: Path, period: str,
                    today: date, user: User | None = None
                    ) -> list[rules.Record]:
    """One record per person (or unmapped commit identity) who contributed to
    *project* in *period*; only *user*'s when given."""
    start = rules.period_start(period, today)
    records: dict[str, rules.Record] = {}
    usernames: dict[int, str] = {}

    def person(user_id: int) -> rules.Record:
        key = f"user:{user_id}"
        if key not in records:
            records[key] = rules.Record(key=key, name="", username=None)
        return records[key]

    _git_dimensions(session, project, path, start, person, records, user)
    _governance_dimensions(session, project, start, person, user)
    _ledger_dimensions(session, project, start, person, user)
    for credit_user, kind, count in session.execute(
            _credits_statement(start is not None, user is not None),
            _parameters(project, start, user)):
        person(credit_user).kinds[kind] = count
    ids = [int(key[5:]) for key in records if key.startswith("user:")]
    for start_at in range(0, len(ids), CHUNK):
        usernames.update(session.execute(_USERNAMES, {"ids": ids[start_at:start_at + CHUNK]})
                         .all())
    for key, record in list(records.items()):
        if key.startswith("user:"):
            user_id = int(key[5:])
            if user_id not in usernames:
                del records[key]
                continue
            record.username = record.name = usernames[user_id]
    return [record for record in records.values() if not record.is_empty]


# The statements below are built once per process with the project, the
# period's start and the person as parameters (bench/README.md, "Under
# load"): building a statement and its cache key cost more than running it.

def _since(column, since: bool) -> list:
    return [column >= sa.bindparam("start")] if since else []


def _only(column, only: bool) -> list:
    return [column == sa.bindparam("user_id")] if only else []


def _parameters(project: Project, start: date | datetime | None, user: User | None) -> dict:
    """The parameters of a statement built with ``_since`` and ``_only``."""
    found: dict = {"project_id": project.id}
    if start is not None:
        found["start"] = start
    if user is not None:
        found["user_id"] = user.id
    return found


_USERNAMES = sa.select(User.id, User.username).where(
    User.id.in_(sa.bindparam("ids", expanding=True)))


@lru_cache(maxsize=4)
def _credits_statement(since: bool, only: bool) -> sa.Select:
    return (sa.select(Credit.user_id, Credit.kind, sa.func.count())
            .where(Credit.project_id == sa.bindparam("project_id"),
                   *_since(Credit.day, since), *_only(Credit.user_id, only))
            .group_by(Credit.user_id, Credit.kind))


def _git_dimensions(session: Session, project: Project, path: Path, start: date | None,
                    person, records: dict[str, rules.Record], user: User | None) -> None:
    # The account holding each raw address comes in the same query (one
    # round trip, however many identities); the .mailmap's targets are
    # looked up apart, and only those that differ.
    rows = session.execute(_git_statement(start is not None),
                           _parameters(project, start, None)).all()
    if not rows:
        return
    mailmap = trusted_mailmap(session, project, path)
    resolved = [(row, *mailmap.resolve(row[1], row[0])) for row in rows]
    owners = owners_of(session, {email for row, _name, email in resolved if email != row[0]})
    names: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row, name, email in resolved:
        raw_email, _raw_name, commits, co_authored, added, removed, first_at, last_at, \
            raw_owner = row
        owner = owners.get(email) or raw_owner
        if user is not None and owner != user.id:
            continue
        if owner is not None:
            record = person(owner)
        else:
            key = f"identity:{email}"
            record = records.get(key)
            if record is None:
                record = records[key] = rules.Record(key=key, name=name,
                                                     masked_email=rules.mask_email(email))
            names[key][name] += int(commits) + int(co_authored)
        record.git.add(int(commits), int(co_authored), int(added), int(removed),
                       _aware(first_at), _aware(last_at))
    for key, counts in names.items():
        # An identity with several spellings shows the one most used.
        records[key].name = rules.display_name(max(sorted(counts), key=lambda name: counts[name]))


@lru_cache(maxsize=2)
def _git_statement(since: bool) -> sa.Select:
    """Each commit identity's tally (all time, or summed by day since
    :start) with the account holding its address, if confirmed."""
    project_id: sa.BindParameter = sa.bindparam("project_id")
    if not since:
        tally = sa.select(
            GitTotal.email, GitTotal.name, GitTotal.commits, GitTotal.co_authored,
            GitTotal.lines_added, GitTotal.lines_removed, GitTotal.first_at, GitTotal.last_at,
        ).where(GitTotal.project_id == project_id).subquery()
    else:
        tally = sa.select(
            GitDay.email, GitDay.name, sa.func.sum(GitDay.commits).label("commits"),
            sa.func.sum(GitDay.co_authored).label("co_authored"),
            sa.func.sum(GitDay.lines_added).label("lines_added"),
            sa.func.sum(GitDay.lines_removed).label("lines_removed"),
            sa.func.min(GitDay.first_at).label("first_at"),
            sa.func.max(GitDay.last_at).label("last_at"),
        ).where(GitDay.project_id == project_id, GitDay.day >= sa.bindparam("start")) \
            .group_by(GitDay.email, GitDay.name).subquery()
    # Only a confirmed address maps commits to its holder.
    return sa.select(tally, Email.user_id).outerjoin(
        Email, sa.and_(Email.address == tally.c.email, Email.confirmed))


def _aware(value):
    """SQLite hands aggregate datetimes back as naive text or datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def owners_of(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """Which account holds each address (confirmed addresses only)."""
    return accounts.owners_of(session, emails)


def _governance_dimensions(session: Session, project: Project, start: date | None, person,
                           user: User | None) -> None:
    parameters = _parameters(project, _midnight(start), user)
    proposals, stances = _governance_statements(start is not None, user is not None)
    for author, kind, status, count in session.execute(proposals, parameters):
        record = person(author)
        record.proposals_opened += count
        if kind == "merge":
            record.merges_proposed += count
            if status == "passed":
                record.merges_merged += count
    for taker, stance, review, count in session.execute(stances, parameters):
        record = person(taker)
        record.stances += count
        if stance == "object":
            record.objections += count
        if review:
            record.reviews += count


@lru_cache(maxsize=4)
def _governance_statements(since: bool, only: bool) -> tuple[sa.Select, sa.Select]:
    """Proposals opened by author, kind and status; stances taken by
    person, stance and whether they reviewed someone else's merge."""
    project_id: sa.BindParameter = sa.bindparam("project_id")
    proposals = (sa.select(Proposal.author_id, Proposal.kind, Proposal.status, sa.func.count())
                 .where(Proposal.project_id == project_id, Proposal.author_id.is_not(None),
                        *_since(Proposal.opened_at, since), *_only(Proposal.author_id, only))
                 .group_by(Proposal.author_id, Proposal.kind, Proposal.status))
    reviewing = sa.and_(Proposal.kind == "merge",
                        sa.or_(Proposal.author_id.is_(None), Proposal.author_id != Stance.user_id))
    stances = (sa.select(Stance.user_id, Stance.stance, reviewing, sa.func.count())
               .join(Proposal, Proposal.id == Stance.proposal_id)
               .where(Proposal.project_id == project_id, *_since(Stance.taken_at, since),
                      *_only(Stance.user_id, only))
               .group_by(Stance.user_id, Stance.stance, reviewing))
    return proposals, stances


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), UTC)


def _ledger_dimensions(session: Session, project: Project, start: date | None, person,
                       user: User | None) -> None:
    """Hours, pledges and deliveries from the kept tallies: one row per
    person, kind and unit for all time; per day for a recent period."""
    rows = session.execute(_ledger_statement(start is not None, user is not None),
                           _parameters(project, start, user))
    summed: dict[tuple[int, str, str], Decimal] = defaultdict(Decimal)
    for user_id, kind, key, amount in rows:
        summed[user_id, kind, key] += amount
    for (user_id, kind, key), amount in summed.items():
        if amount <= 0:  # withdrawn or corrected away: no contribution
            continue
        record = person(user_id)
        if kind == "hours":
            record.add_hours(key, amount)
        elif kind in ("pledges", "deliveries"):
            setattr(record, kind, int(amount))
        else:
            getattr(record, kind)[key] = amount


@lru_cache(maxsize=4)
def _ledger_statement(since: bool, only: bool) -> sa.Select:
    project_id: sa.BindParameter = sa.bindparam("project_id")
    if not since:
        return (sa.select(LedgerTotal.user_id, LedgerTotal.kind, LedgerTotal.key,
                          LedgerTotal.amount)
                .where(LedgerTotal.project_id == project_id, *_only(LedgerTotal.user_id, only)))
    return (sa.select(LedgerDay.user_id, LedgerDay.kind, LedgerDay.key, LedgerDay.amount)
            .where(LedgerDay.project_id == project_id, LedgerDay.day >= sa.bindparam("start"),
                   *_only(LedgerDay.user_id, only)))


def profile(session: Session, user: User, repos_dir: Path, period: str,
            today: date) -> list[tuple[Project, rules.Record]]:
    """*user*'s record in every project they contributed to, or belong to."""
    emails = [email.address for email in user.emails if email.confirmed]
    candidates: set[int] = set(session.scalars(
        sa.select(Membership.project_id).where(Membership.user_id == user.id,
                                               Membership.status == Membership.MEMBER)))
    if emails:
        candidates.update(session.scalars(sa.select(GitTotal.project_id).where(
            GitTotal.email.in_(emails)).distinct()))
        candidates.update(session.scalars(sa.select(MailmapAddress.project_id).where(
            MailmapAddress.email.in_(emails))))
    for column, owner in ((Proposal.project_id, Proposal.author_id),
                          (WorkLog.project_id, WorkLog.user_id),
                          (Pledge.project_id, Pledge.pledger_id),
                          (Delivery.project_id, Delivery.user_id),
                          (Credit.project_id, Credit.user_id)):
        candidates.update(session.scalars(sa.select(column).where(owner == user.id).distinct()))
    candidates.update(session.scalars(
        sa.select(Proposal.project_id).join(Stance, Stance.proposal_id == Proposal.id)
        .where(Stance.user_id == user.id).distinct()))
    found = []
    for project in session.scalars(sa.select(Project).where(Project.id.in_(candidates))
                                   .order_by(Project.name)):
        records = project_records(session, project, repository_path(repos_dir, project.slug),
                                  period, today, user=user)
        found.append((project, records[0] if records else
                      rules.Record(key=f"user:{user.id}", name=user.username,
                                   username=user.username)))
    return found


def labour(records: Iterable[rules.Record]) -> list[rules.Record]:
    """Who logged hours, most hours first: the division-of-labour view."""
    return rules.ordered([record for record in records if record.hours], "hours", True)


def activity(session: Session, project: Project, today: date, months: int = 12
             ) -> tuple[list[str], list[int], list[Decimal], list[int]]:
    """Commits, hours of work and stances per calendar month, for the last
    *months* months up to *today*: (months, commits, hours, stances). Each
    is one aggregate query, whatever the project's size."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    bounds = [*firsts[1:], today + timedelta(days=1)]
    labels = [first.isoformat()[:7] for first in firsts]
    index = {label: position for position, label in enumerate(labels)}
    commits = [0] * months
    for day, count in session.execute(_DAILY_COMMITS, {"project_id": project.id,
                                                       "first": firsts[0], "today": today}):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        commits[index[day.isoformat()[:7]]] += int(count)
    hours_statement, stances_statement = _monthly_statements(months)
    bounds_at = {f"first{n}": first for n, first in enumerate(firsts)}
    bounds_at.update({f"bound{n}": bound for n, bound in enumerate(bounds)})
    hours_row = session.execute(hours_statement, {"project_id": project.id, **bounds_at}).one()
    hours = [Decimal(int(value)) / 100 for value in hours_row]
    stances_row = session.execute(stances_statement, {
        "project_id": project.id,
        **{name: _midnight(day) for name, day in bounds_at.items()}}).one()
    return labels, commits, hours, [int(value) for value in stances_row]


_DAILY_COMMITS = (sa.select(GitDay.day, sa.func.sum(GitDay.commits))
                  .where(GitDay.project_id == sa.bindparam("project_id"),
                         GitDay.day >= sa.bindparam("first"), GitDay.day <= sa.bindparam("today"))
                  .group_by(GitDay.day))


@lru_cache(maxsize=4)
def _monthly_statements(months: int) -> tuple[sa.Select, sa.Select]:
    """The hours and the stances of each month as one row each, with the
    project and the months' bounds as parameters (first0.., bound0..):
    built once, since building 2 x 12 CASE expressions cost more than
    running them (bench/README.md, "Under load")."""
    firsts: list[sa.BindParameter] = [sa.bindparam(f"first{n}") for n in range(months)]
    bounds: list[sa.BindParameter] = [sa.bindparam(f"bound{n}") for n in range(months)]
    project_id: sa.BindParameter = sa.bindparam("project_id")
    # Hours carry two decimals and at most 24 a log, so hundredths summed as
    # integers are exact on both databases (text decimals do not add in SQL).
    hundredths = sa.func.round(sa.cast(WorkLog.hours, sa.Numeric(12, 2)) * 100)
    hours = sa.select(*(
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(WorkLog.date >= first, WorkLog.date < bound), hundredths), else_=0)), 0)
        for first, bound in zip(firsts, bounds, strict=True))) \
        .where(WorkLog.project_id == project_id, WorkLog.date >= firsts[0])
    stances = sa.select(*(
        sa.func.count(sa.case((sa.and_(Stance.taken_at >= first, Stance.taken_at < bound), 1)))
        for first, bound in zip(firsts, bounds, strict=True))) \
        .join(Proposal, Proposal.id == Stance.proposal_id) \
        .where(Proposal.project_id == project_id, Stance.taken_at >= firsts[0])
    return hours, stances
