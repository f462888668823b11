"""Contributor records: kept tallies (git, deliveries), the credits members
record, and one record per person and project read from every domain."""

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from commons.accounts.models import Email, User
from commons.contributions import identities, ledger_tally, rules
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
from commons.git import reading
from commons.git.indexing import CommitInfo, index_commits
from commons.signals import commits_indexed, entry_appended
from commons.git.models import Commit, IndexedTip
from commons.git.pushes import lock_project
from commons.git.repositories import repository_path
from commons.governance.models import Proposal, Stance
from commons.ledger import services as ledger
from commons.ledger.models import Input, LedgerEntry, Pledge, WorkLog
from commons.problems import Forbidden, Invalid, NotFound
from commons.projects.models import Membership, Project
from commons.text import TextError, clean_text

_CHUNK = 500


# ---------------------------------------------------------------- kept tallies

@commits_indexed.connect
def _count_commits(session: Session, project_id: int, commits: list[CommitInfo]) -> None:
    """Add a batch of newly indexed commits to the tallies, in the indexing
    transaction (the project's lock is held, so tallies never race)."""
    # Accounts as they are now, only to credit one person once per commit
    # (their addresses as author and co-author); records map the rest.
    co_authored = [info for info in commits if info.co_authors]
    owners = _owners(session, {email for info in co_authored for email in
                               [info.author_email, *(co.get("email", "") for co in
                                                     info.co_authors)]}) if co_authored else {}
    credits = [credit for info in commits for credit in rules.credits(
        info.author_name, info.author_email, info.authored_at, info.parent_count,
        info.co_authors, info.lines_added, info.lines_removed, owners)]
    _add_tallies(session, GitTotal, project_id, rules.tally_credits(credits, by_day=False),
                 ("email", "name"))
    _add_tallies(session, GitDay, project_id, rules.tally_credits(credits, by_day=True),
                 ("day", "email", "name"))


def _add_tallies(session: Session, model, project_id: int,
                 tallies: dict[tuple, rules.GitTally], key: tuple[str, ...]) -> None:
    if not tallies:
        return
    insert = _insert_for(session)(model)
    table = model.__table__
    excluded = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=["project_id", *key],
        set_={
            "commits": table.c.commits + excluded.commits,
            "co_authored": table.c.co_authored + excluded.co_authored,
            "lines_added": table.c.lines_added + excluded.lines_added,
            "lines_removed": table.c.lines_removed + excluded.lines_removed,
            "first_at": sa.case((excluded.first_at < table.c.first_at, excluded.first_at),
                                else_=table.c.first_at),
            "last_at": sa.case((excluded.last_at > table.c.last_at, excluded.last_at),
                               else_=table.c.last_at),
        })
    rows = [{"project_id": project_id, **dict(zip(key, values, strict=True)), "commits": tally.commits,
             "co_authored": tally.co_authored, "lines_added": tally.lines_added,
             "lines_removed": tally.lines_removed, "first_at": tally.first_at,
             "last_at": tally.last_at} for values, tally in tallies.items()]
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start:start + _CHUNK])


def _insert_for(session: Session):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert


@entry_appended.connect
def _count_ledger_entry(project: Project, session: Session, entry: LedgerEntry,
                        data: dict) -> None:
    """Keep deliveries and the ledger tallies as an entry is appended (the
    journal's head is locked, so per project this never races). The fold's
    state is loaded from the stored balances for what the entry touches."""
    state = _state_for(session, project, entry.action, data)
    names = {data.get(key) for key in ("worker", "pledger", "provider_user")} - {None, ""}
    users = dict(session.execute(sa.select(User.username, User.id)
                                 .where(User.username.in_(names))).all()) if names else {}
    # The day in UTC, as a replay of the stored journal reads it.
    changes = ledger_tally.apply(state, entry.seq, entry.at.astimezone(timezone.utc).date(),
                                 entry.actor_id, entry.action, data, users)
    if entry.action == "receipt" and entry.seq in state.deliveries:
        delivered = state.deliveries[entry.seq]
        session.add(Delivery(project_id=project.id, seq=entry.seq, user_id=delivered.user,
                             input_id=_input_ids(session, project, [delivered.input])[delivered.input],
                             quantity=delivered.quantity, day=delivered.day))
    elif entry.action == "correct" and data.get("action") == "receipt":
        row = session.scalar(sa.select(Delivery).where(Delivery.project_id == project.id,
                                                       Delivery.seq == data["corrects"]))
        if row is not None:
            row.quantity = state.deliveries[row.seq].quantity
    _add_ledger_tallies(session, project.id, changes)


def _input_ids(session: Session, project: Project, numbers: Iterable[int] | None = None
               ) -> dict[int, int]:
    query = sa.select(Input.number, Input.id).where(Input.project_id == project.id)
    if numbers is not None:
        query = query.where(Input.number.in_(list(numbers)))
    return dict(session.execute(query).all())


def _state_for(session: Session, project: Project, action: str, data: dict
               ) -> ledger_tally.State:
    """The part of the fold's state an entry of *action* reads."""
    state = ledger_tally.State()
    number = data.get("input")
    if number is None or action == "need":
        if action == "correct" and data.get("action") == "work":
            work = session.scalar(sa.select(WorkLog).where(WorkLog.project_id == project.id,
                                                           WorkLog.seq == data["corrects"]))
            if work is not None:
                state.work[work.seq] = ledger_tally.Worked(work.user_id, work.date, work.category)
        return state
    need = session.scalar(sa.select(Input).where(Input.project_id == project.id,
                                                 Input.number == number))
    if need is None:
        return state
    state.inputs[number] = ledger_tally.Need(need.unit, need.unit_cost, need.currency)
    # A receipt's correction may change what a withdrawn pledge kept.
    wanted = {"withdraw": [data.get("pledge")],
              "correct": [data.get("corrects"), data.get("pledge")]}.get(action)
    pledges = sa.select(Pledge, LedgerEntry.at).join(
        LedgerEntry, sa.and_(LedgerEntry.project_id == Pledge.project_id,
                             LedgerEntry.seq == Pledge.seq)).where(Pledge.input_id == need.id)
    if action == "correct" and data.get("action") == "need":
        wanted = None  # a new unit cost revalues every pledge and delivery of the input
    elif wanted is None:
        return state
    if wanted is not None:
        pledges = pledges.where(Pledge.seq.in_(wanted))
    for pledge, at in session.execute(pledges):
        state.pledges[pledge.seq] = ledger_tally.Pledged(
            pledge.pledger_id, at.astimezone(timezone.utc).date(), number, pledge.quantity,
            pledge.withdrawn, pledge.received)
    deliveries = sa.select(Delivery).where(Delivery.input_id == need.id)
    if wanted is not None:
        deliveries = deliveries.where(Delivery.seq.in_(wanted))
    for delivery in session.scalars(deliveries):
        state.deliveries[delivery.seq] = ledger_tally.Delivered(
            delivery.user_id, delivery.day, number, delivery.quantity)
    return state


def _add_ledger_tallies(session: Session, project_id: int,
                        changes: list[ledger_tally.Change]) -> None:
    """Read, add, write: amounts are exact decimals kept as text, which SQL
    cannot add; the journal's lock makes the read-modify-write safe."""
    for model, by_day in ((LedgerTotal, False), (LedgerDay, True)):
        for key, delta in ledger_tally.totals(changes, by_day).items():
            user, *rest = key
            where = dict(zip(("day", "kind", "key") if by_day else ("kind", "key"), rest,
                             strict=True))
            row = session.scalar(sa.select(model).filter_by(project_id=project_id, user_id=user,
                                                            **where))
            if row is None:
                session.add(model(project_id=project_id, user_id=user, amount=delta, **where))
            else:
                row.amount += delta
    session.flush()


def rebuild_from_journal(session: Session, project: Project) -> tuple[int, int]:
    """Replay a project's journal through the fold (the same one appends
    run) and store the ledger tallies and deliveries it gives; returns how
    many entries were read and how many deliveries there are."""
    for model in (LedgerTotal, LedgerDay, Delivery):
        session.execute(sa.delete(model).where(model.project_id == project.id))
    users = dict(session.execute(sa.select(User.username, User.id)).all())
    state = ledger_tally.State()
    changes: list[ledger_tally.Change] = []
    count = 0
    for seq, at, actor, action, payload in session.execute(
            sa.select(LedgerEntry.seq, LedgerEntry.at, LedgerEntry.actor_id, LedgerEntry.action,
                      LedgerEntry.payload)
            .where(LedgerEntry.project_id == project.id).order_by(LedgerEntry.seq)):
        changes += ledger_tally.apply(state, seq, at.date(), actor, action,
                                      json.loads(payload)["data"], users)
        count += 1
    for model, by_day in ((LedgerTotal, False), (LedgerDay, True)):
        rows = [{"project_id": project.id, "user_id": key[0],
                 **dict(zip(("day", "kind", "key") if by_day else ("kind", "key"), key[1:],
                            strict=True)), "amount": amount}
                for key, amount in ledger_tally.totals(changes, by_day).items()]
        for start in range(0, len(rows), _CHUNK):
            session.execute(sa.insert(model), rows[start:start + _CHUNK])
    inputs = _input_ids(session, project)
    rows = [{"project_id": project.id, "seq": seq, "user_id": delivered.user,
             "input_id": inputs[delivered.input], "quantity": delivered.quantity,
             "day": delivered.day} for seq, delivered in sorted(state.deliveries.items())]
    for start in range(0, len(rows), _CHUNK):
        session.execute(sa.insert(Delivery), rows[start:start + _CHUNK])
    session.flush()
    return count, len(rows)


def reindex(session: Session, project: Project, path: Path,
            progress: Callable[[int], None] | None = None,
            started: Callable[[int], None] | None = None) -> int:
    """Forget a project's git-derived records and index its whole repository
    again (every branch and tag); rebuild its ledger tallies and deliveries
    from the journal.
    *started* hears how many commits there are, *progress* each batch.
    Returns the number of commits indexed. Flushes; the caller commits."""
    lock_project(session, project.id)
    # Appends wait while the deliveries and ledger tallies are rebuilt.
    ledger.hold_journal(session, project)
    for model in (GitDay, GitTotal, Commit, IndexedTip):
        session.execute(sa.delete(model).where(model.project_id == project.id))
    heads = sorted({ref.sha for ref in reading.all_refs(path)})
    if started is not None:
        started(int(reading.git(path, "rev-list", "--count", *heads).strip() or 0)
                if heads else 0)
    new = index_commits(session, project.id, path, heads, progress)
    rebuild_from_journal(session, project)
    refresh_mailmap(session, project, path)
    return len(new)


def refresh_mailmap(session: Session, project: Project, path: Path) -> None:
    """Keep the addresses the default branch's .mailmap maps commits to
    (the lines the platform follows only)."""
    identities.refresh_addresses(session, project, path)


# ---------------------------------------------------------------- credits

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
    query = sa.select(Credit).where(Credit.project_id == project.id).options(
        selectinload(Credit.user), selectinload(Credit.recorded_by))
    if user is not None:
        query = query.where(Credit.user_id == user.id)
    return list(session.scalars(query.order_by(Credit.day.desc(), Credit.id.desc())
                                .limit(limit)))


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


# ---------------------------------------------------------------- records

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
            sa.select(Credit.user_id, Credit.kind, sa.func.count())
            .where(Credit.project_id == project.id, *_since(Credit.day, start),
                   *_only(Credit.user_id, user))
            .group_by(Credit.user_id, Credit.kind)):
        person(credit_user).kinds[kind] = count
    ids = [int(key[5:]) for key in records if key.startswith("user:")]
    for start_at in range(0, len(ids), _CHUNK):
        usernames.update(session.execute(sa.select(User.id, User.username).where(
            User.id.in_(ids[start_at:start_at + _CHUNK]))).all())
    for key, record in list(records.items()):
        if key.startswith("user:"):
            user_id = int(key[5:])
            if user_id not in usernames:
                del records[key]
                continue
            record.username = record.name = usernames[user_id]
    return [record for record in records.values() if not record.is_empty]


def _since(column, start: date | datetime | None) -> list:
    return [] if start is None else [column >= start]


def _only(column, user: User | None) -> list:
    return [] if user is None else [column == user.id]


def _git_dimensions(session: Session, project: Project, path: Path, start: date | None,
                    person, records: dict[str, rules.Record], user: User | None) -> None:
    # The account holding each raw address comes in the same query (one
    # round trip, however many identities); the .mailmap's targets are
    # looked up apart, and only those that differ.
    if start is None:
        tally = sa.select(
            GitTotal.email, GitTotal.name, GitTotal.commits, GitTotal.co_authored,
            GitTotal.lines_added, GitTotal.lines_removed, GitTotal.first_at, GitTotal.last_at,
        ).where(GitTotal.project_id == project.id).subquery()
    else:
        tally = sa.select(
            GitDay.email, GitDay.name, sa.func.sum(GitDay.commits).label("commits"),
            sa.func.sum(GitDay.co_authored).label("co_authored"),
            sa.func.sum(GitDay.lines_added).label("lines_added"),
            sa.func.sum(GitDay.lines_removed).label("lines_removed"),
            sa.func.min(GitDay.first_at).label("first_at"),
            sa.func.max(GitDay.last_at).label("last_at"),
        ).where(GitDay.project_id == project.id, GitDay.day >= start) \
            .group_by(GitDay.email, GitDay.name).subquery()
    rows = session.execute(sa.select(tally, Email.user_id).outerjoin(
        Email, Email.address == tally.c.email)).all()
    if not rows:
        return
    mailmap = trusted_mailmap(session, project, path)
    resolved = [(row, *mailmap.resolve(row[1], row[0])) for row in rows]
    owners = _owners(session, {email for row, _name, email in resolved if email != row[0]})
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


def _aware(value):
    """SQLite hands aggregate datetimes back as naive text or datetimes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def _owners(session: Session, emails: Iterable[str]) -> dict[str, int]:
    """Which account holds each address."""
    emails = sorted(emails)
    owners: dict[str, int] = {}
    for start in range(0, len(emails), _CHUNK):
        owners.update(session.execute(sa.select(Email.address, Email.user_id).where(
            Email.address.in_(emails[start:start + _CHUNK]))).all())
    return owners


def _governance_dimensions(session: Session, project: Project, start: date | None, person,
                           user: User | None) -> None:
    start_at = _midnight(start)
    for author, kind, status, count in session.execute(
            sa.select(Proposal.author_id, Proposal.kind, Proposal.status, sa.func.count())
            .where(Proposal.project_id == project.id, Proposal.author_id.is_not(None),
                   *_since(Proposal.opened_at, start_at), *_only(Proposal.author_id, user))
            .group_by(Proposal.author_id, Proposal.kind, Proposal.status)):
        record = person(author)
        record.proposals_opened += count
        if kind == "merge":
            record.merges_proposed += count
            if status == "passed":
                record.merges_merged += count
    reviewing = sa.and_(Proposal.kind == "merge",
                        sa.or_(Proposal.author_id.is_(None), Proposal.author_id != Stance.user_id))
    for taker, stance, review, count in session.execute(
            sa.select(Stance.user_id, Stance.stance, reviewing, sa.func.count())
            .join(Proposal, Proposal.id == Stance.proposal_id)
            .where(Proposal.project_id == project.id, *_since(Stance.taken_at, start_at),
                   *_only(Stance.user_id, user))
            .group_by(Stance.user_id, Stance.stance, reviewing)):
        record = person(taker)
        record.stances += count
        if stance == "object":
            record.objections += count
        if review:
            record.reviews += count


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), timezone.utc)


def _ledger_dimensions(session: Session, project: Project, start: date | None, person,
                       user: User | None) -> None:
    """Hours, pledges and deliveries from the kept tallies: one row per
    person, kind and unit for all time; per day for a recent period."""
    if start is None:
        rows = session.execute(
            sa.select(LedgerTotal.user_id, LedgerTotal.kind, LedgerTotal.key, LedgerTotal.amount)
            .where(LedgerTotal.project_id == project.id, *_only(LedgerTotal.user_id, user)))
    else:
        rows = session.execute(
            sa.select(LedgerDay.user_id, LedgerDay.kind, LedgerDay.key, LedgerDay.amount)
            .where(LedgerDay.project_id == project.id, LedgerDay.day >= start,
                   *_only(LedgerDay.user_id, user)))
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


def profile(session: Session, user: User, repos_dir: Path, period: str,
            today: date) -> list[tuple[Project, rules.Record]]:
    """*user*'s record in every project they contributed to, or belong to."""
    emails = [email.address for email in user.emails]
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
    for day, count in session.execute(
            sa.select(GitDay.day, sa.func.sum(GitDay.commits))
            .where(GitDay.project_id == project.id, GitDay.day >= firsts[0], GitDay.day <= today)
            .group_by(GitDay.day)):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        commits[index[day.isoformat()[:7]]] += int(count)
    # Hours carry two decimals and at most 24 a log, so hundredths summed as
    # integers are exact on both databases (text decimals do not add in SQL).
    hundredths = sa.func.round(sa.cast(WorkLog.hours, sa.Numeric(12, 2)) * 100)
    hours_row = session.execute(sa.select(*(
        sa.func.coalesce(sa.func.sum(sa.case(
            (sa.and_(WorkLog.date >= first, WorkLog.date < bound), hundredths), else_=0)), 0)
        for first, bound in zip(firsts, bounds, strict=True)))
        .where(WorkLog.project_id == project.id, WorkLog.date >= firsts[0])).one()
    hours = [Decimal(int(value)) / 100 for value in hours_row]
    stances_row = session.execute(sa.select(*(
        sa.func.count(sa.case((sa.and_(Stance.taken_at >= _midnight(first),
                                       Stance.taken_at < _midnight(bound)), 1)))
        for first, bound in zip(firsts, bounds, strict=True)))
        .join(Proposal, Proposal.id == Stance.proposal_id)
        .where(Proposal.project_id == project.id,
               Stance.taken_at >= _midnight(firsts[0]))).one()
    return labels, commits, hours, [int(value) for value in stances_row]
