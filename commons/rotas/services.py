"""Rota use cases: create a rota, opt in and out, hand out the next turns
fairly, swap turns by agreement, mark a turn done (its hours logged as
ordinary work). Session-first, flush only; *now* is passed in.

Rota rows are plans, not ledger rows: the only thing that reaches the
journal is a done turn's work entry, through ``ledger.work.log_work``."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.ledger import rules as ledger_rules
from commons.ledger.checks import checked_text, require_member
from commons.ledger.models import WorkLog
from commons.ledger.work import log_work
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects.models import Membership, Project
from commons.rotas import rules
from commons.rotas.models import Rota, RotaMember, RotaSwap, RotaTurn
from commons.rotas.rules import RotaRuleError

MAX_ID = 2**31 - 1


def _invalid(error: RotaRuleError) -> Invalid:
    return Invalid(str(error), field=error.field)


# ---------------------------------------------------------------- rotas

@dataclass
class RotaFields:
    """What a member types to create a rota; the service judges each value."""

    title: object
    category: object = rules.DEFAULT_CATEGORY
    every_days: object = 7
    hours: object = "1"
    starts_on: object = None


def create_rota(session: Session, project: Project, actor: User, fields: RotaFields,
                *, now: datetime) -> Rota:
    """A member creates a rota for a recurring task of the project."""
    require_member(project, actor, "create rotas")
    title = checked_text(fields.title, "Title", "title", rules.MAX_TITLE)
    try:
        category = rules.check_category(fields.category)
        every_days = rules.check_every_days(fields.every_days)
        starts_on = rules.check_start(fields.starts_on, now.date())
    except RotaRuleError as error:
        raise _invalid(error) from None
    try:
        hours = ledger_rules.quantity(fields.hours, "hour", "About how many hours",
                                      field_name="hours")
    except ledger_rules.RuleError as error:
        raise Invalid(str(error), field=error.field) from None
    if hours > ledger_rules.MAX_HOURS_PER_DAY:
        raise Invalid("About how many hours: at most 24 for one turn.", field="hours")
    rota = Rota(project_id=project.id, title=title, category=category, every_days=every_days,
                hours=hours, starts_on=starts_on, created_by_id=actor.id, created_at=now)
    session.add(rota)
    session.flush()
    return rota


def list_rotas(session: Session, project: Project) -> list[Rota]:
    return list(session.scalars(sa.select(Rota).where(Rota.project_id == project.id)
                                .order_by(Rota.title, Rota.id)))


def get_rota(session: Session, project: Project, rota_id: int) -> Rota:
    rota = session.get(Rota, rota_id) if 0 < rota_id <= MAX_ID else None
    if rota is None or rota.project_id != project.id:
        raise NotFound(f"{project.name} has no rota {rota_id}; its rotas are listed at "
                       f"/projects/{project.slug}/rotas.")
    return rota


def _lock(session: Session, rota: Rota) -> None:
    """Changes to one rota's turns happen one at a time. A write that
    changes nothing takes the lock on both databases: PostgreSQL's row lock,
    SQLite's write lock on the database. (SQLite ignores FOR UPDATE, so two
    readers handing out the same new turn both read it as open and the
    second insert failed.) What is read after it is read under the lock."""
    session.execute(sa.update(Rota).where(Rota.id == rota.id).values(every_days=Rota.every_days)
                    .execution_options(synchronize_session=False))


# ---------------------------------------------------------------- members

def members_of(session: Session, rota: Rota) -> list[RotaMember]:
    """Who is in the rota: those who opted in and are still members of the
    project (someone who left keeps their row, but is handed no turns)."""
    return list(session.scalars(
        sa.select(RotaMember).join(Membership, sa.and_(
            Membership.project_id == rota.project_id, Membership.user_id == RotaMember.user_id,
            Membership.status == Membership.MEMBER))
        .where(RotaMember.rota_id == rota.id)
        .order_by(RotaMember.opted_in_at, RotaMember.user_id)))


def _member_row(session: Session, rota: Rota, user: User) -> RotaMember | None:
    return session.get(RotaMember, (rota.id, user.id))


def opt_in(session: Session, project: Project, rota: Rota, actor: User,
           *, now: datetime) -> RotaMember:
    """A member of the project opts in: they take turns from the next one
    handed out."""
    require_member(project, actor, "opt in to its rotas")
    _lock(session, rota)
    if _member_row(session, rota, actor) is not None:
        raise Conflict(f"You are already in the rota “{rota.title}”.")
    row = RotaMember(rota_id=rota.id, user_id=actor.id, opted_in_at=now)
    session.add(row)
    session.flush()
    _release_planned(session, rota, now.date())
    fill_turns(session, project, rota, now=now)
    return row


def _release_planned(session: Session, rota: Rota, today: date) -> None:
    """When who is in the rota changes, the upcoming turns the rule handed
    out are handed out again by it, so a newcomer takes their fair place
    (two people opting in one after the other alternate). Turns the holders
    agreed to by a swap, done ones, those in a swap still asked for and
    today's (its holder may be at it) stay where they are."""
    in_swap = {turn_id for swap in _open_swaps(session, rota)
               for turn_id in (swap.turn_id, swap.other_turn_id) if turn_id is not None}
    for turn in _upcoming_turns(session, rota, today):
        if not turn.agreed and turn.id not in in_swap and turn.due_on > today:
            turn.user_id = None
    session.flush()


def opt_out(session: Session, project: Project, rota: Rota, actor: User,
            *, now: datetime) -> None:
    """Leave the rota: done and missed turns stay as they were; upcoming
    ones go to the others, and swaps still asked for are cancelled."""
    _lock(session, rota)
    row = _member_row(session, rota, actor)
    if row is None:
        raise Conflict(f"You are not in the rota “{rota.title}”.")
    session.delete(row)
    today = now.date()
    for turn in _upcoming_turns(session, rota, today):
        if turn.user_id == actor.id:
            turn.user_id, turn.agreed = None, False
    for swap in _open_swaps(session, rota):
        if actor.id in (swap.asked_by_id, swap.asked_to_id):
            swap.status, swap.settled_at, swap.settled_by_id = RotaSwap.CANCELLED, now, actor.id
    session.flush()
    _release_planned(session, rota, today)
    fill_turns(session, project, rota, now=now)


# ---------------------------------------------------------------- turns

def hours_of_kind(session: Session, project: Project, category: str,
                  user_ids: Sequence[int], today: date) -> dict[int, Decimal]:
    """Hours of *category* each person logged in the project over the last
    90 days (to *today*), in one query; hundredths summed as integers, since
    text decimals do not add in SQL."""
    if not user_ids:
        return {}
    hundredths = sa.func.round(sa.cast(WorkLog.hours, sa.Numeric(12, 2)) * 100)
    rows = session.execute(
        sa.select(WorkLog.user_id, sa.func.sum(hundredths))
        .where(WorkLog.project_id == project.id, WorkLog.category == category,
               WorkLog.user_id.in_(list(user_ids)),
               WorkLog.date > today - timedelta(days=rules.FAIRNESS_DAYS),
               WorkLog.date <= today)
        .group_by(WorkLog.user_id))
    found = {user_id: Decimal(int(total)) / 100 for user_id, total in rows}
    return {user_id: found.get(user_id, Decimal(0)) for user_id in user_ids}


def turns_of(session: Session, rota: Rota) -> list[RotaTurn]:
    return list(session.scalars(sa.select(RotaTurn).where(RotaTurn.rota_id == rota.id)
                                .order_by(RotaTurn.number)))


def _upcoming_turns(session: Session, rota: Rota, today: date) -> list[RotaTurn]:
    return list(session.scalars(sa.select(RotaTurn).where(
        RotaTurn.rota_id == rota.id, RotaTurn.due_on >= today, RotaTurn.done_at.is_(None))
        .order_by(RotaTurn.number)))


def upcoming_numbers(rota: Rota, today: date) -> list[int]:
    first = rules.first_upcoming(rota.starts_on, rota.every_days, today)
    return list(range(first, first + rules.TURNS_AHEAD))


def fill_turns(session: Session, project: Project, rota: Rota, *, now: datetime) -> int:
    """Hand out the next turns nobody holds, in turn order, by the fair
    order (``rules.assign``). Returns how many were handed out. Held turns
    stay: only opting in or out (``_release_planned``) or a swap both
    confirm moves one."""
    today = now.date()
    numbers = upcoming_numbers(rota, today)
    existing = {turn.number: turn for turn in session.scalars(
        sa.select(RotaTurn).where(RotaTurn.rota_id == rota.id, RotaTurn.number.in_(numbers)))}
    members = members_of(session, rota)
    # A turn held by someone who left the project is open again.
    in_rota = {member.user_id for member in members}
    open_numbers = [number for number in numbers
                    if number not in existing or (existing[number].user_id not in in_rota
                                                  and existing[number].done_at is None)]
    if not open_numbers or not members:
        return 0
    hours = hours_of_kind(session, project, rota.category, [m.user_id for m in members], today)
    held: dict[int, int] = {}
    for turn in _upcoming_turns(session, rota, today):
        if turn.user_id is not None:
            held[turn.user_id] = held.get(turn.user_id, 0) + 1
    candidates = [rules.Candidate(m.user_id, hours[m.user_id], m.opted_in_at,
                                  held.get(m.user_id, 0)) for m in members]
    for number, user_id in zip(open_numbers, rules.assign(candidates, len(open_numbers)),
                               strict=True):
        held_turn = existing.get(number)
        if held_turn is None:
            held_turn = RotaTurn(rota_id=rota.id, number=number, agreed=False,
                                 due_on=rules.due_on(rota.starts_on, rota.every_days, number))
            session.add(held_turn)
        held_turn.user_id, held_turn.assigned_at, held_turn.agreed = user_id, now, False
    session.flush()
    return len(open_numbers)


def refresh(session: Session, project: Project, rota: Rota, *, now: datetime) -> int:
    """Hand out the turns that came into view since the rota was last
    changed (time passing brings new ones): reading a rota does this, so
    its page always shows the next turns. Cheap when nothing is open; a
    lock only when something is to be handed out."""
    numbers = upcoming_numbers(rota, now.date())
    in_rota = [member.user_id for member in members_of(session, rota)]
    if not in_rota:
        return 0  # nobody to hand a turn to: no lock (on SQLite, a write lock) for nothing
    held = session.scalar(sa.select(sa.func.count()).select_from(RotaTurn).where(
        RotaTurn.rota_id == rota.id, RotaTurn.number.in_(numbers),
        sa.or_(RotaTurn.user_id.in_(in_rota), RotaTurn.done_at.is_not(None))))
    if held == len(numbers):
        return 0
    _lock(session, rota)
    return fill_turns(session, project, rota, now=now)


def get_turn(session: Session, rota: Rota, number: int) -> RotaTurn:
    turn = session.scalar(sa.select(RotaTurn).where(RotaTurn.rota_id == rota.id,
                                                    RotaTurn.number == number)) \
        if 0 < number <= MAX_ID else None
    if turn is None:
        raise NotFound(f"The rota “{rota.title}” has no turn {number} handed out yet.")
    return turn


def mark_done(session: Session, project: Project, rota: Rota, actor: User, number: int,
              hours: object = None, worked_on: object = None, *, now: datetime,
              max_days_back: int = ledger_rules.WORK_MAX_DAYS_BACK) -> RotaTurn:
    """The holder marks their turn done: its hours are logged as ordinary
    work of the rota's kind (``log_work``, so the same checks: a member, 24
    hours a day, at most *max_days_back* days back) and the turn links to
    the work entry, which awaits another member's confirmation like any.
    A missed turn may be marked done late, within those days."""
    _lock(session, rota)
    turn = get_turn(session, rota, number)
    if turn.user_id != actor.id:
        holder = turn.user.username if turn.user is not None else "nobody"
        raise Forbidden(f"Turn {number} of “{rota.title}” is {holder}'s; only the one who "
                        "holds a turn marks it done.")
    if turn.done_at is not None:
        raise Conflict(f"Turn {number} of “{rota.title}” is already done "
                       f"(work entry #{turn.work_seq}).")
    today = now.date()
    earliest = turn.due_on - timedelta(days=rota.every_days - 1)
    if today < earliest:
        raise Conflict(f"Turn {number} of “{rota.title}” falls on {turn.due_on.isoformat()}; "
                       f"mark it done from {earliest.isoformat()} on.")
    if worked_on is None or str(worked_on).strip() == "":
        worked_on = min(today, turn.due_on).isoformat()
    description = (f"Rota “{rota.title}”, turn {number} ({turn.due_on.isoformat()})")
    work = log_work(session, project, actor, rota.hours if hours in (None, "") else hours,
                    rota.category, description, worked_on, now=now,
                    max_days_back=max_days_back)
    turn.done_at, turn.hours, turn.work_seq = now, work.hours, work.seq
    for swap in _open_swaps(session, rota):
        if turn.id in (swap.turn_id, swap.other_turn_id):
            swap.status, swap.settled_at, swap.settled_by_id = RotaSwap.CANCELLED, now, actor.id
    session.flush()
    return turn


# ---------------------------------------------------------------- swaps

def _open_swaps(session: Session, rota: Rota) -> list[RotaSwap]:
    return list(session.scalars(sa.select(RotaSwap).where(
        RotaSwap.rota_id == rota.id, RotaSwap.status == RotaSwap.ASKED).order_by(RotaSwap.id)))


def open_swaps(session: Session, rota: Rota) -> list[RotaSwap]:
    return _open_swaps(session, rota)


def _find_user(session: Session, username: object) -> User | None:
    name = str(username or "").strip()
    if not name:
        return None
    return session.scalar(sa.select(User).where(sa.func.lower(User.username) == name.lower()))


def _opted_in(session: Session, rota: Rota, user: User | None, username: object) -> User:
    """*user* if they opted in to *rota*; otherwise the refusal that says so."""
    if user is None:
        raise Invalid(f"No account is called “{str(username or '').strip()}”; give the "
                      "username of someone in this rota.", field="username")
    if _member_row(session, rota, user) is None or user.id not in {
            member.user_id for member in members_of(session, rota)}:
        raise Invalid(f"{user.username} has not opted in to the rota “{rota.title}”; turns "
                      "go only to those who opted in. Ask them to opt in first.",
                      field="username")
    return user


def ask_swap(session: Session, project: Project, rota: Rota, actor: User, number: int,
             username: object, other_number: object = None, *, now: datetime) -> RotaSwap:
    """The holder of turn *number* asks *username* (who opted in) to take it,
    or to swap it with their turn *other_number*. Nothing moves until they
    confirm."""
    _lock(session, rota)
    turn = get_turn(session, rota, number)
    today = now.date()
    if turn.user_id != actor.id:
        raise Forbidden(f"Turn {number} of “{rota.title}” is not yours; only its holder asks "
                        "someone to take it.")
    if turn.done_at is not None or turn.due_on < today:
        raise Conflict(f"Turn {number} of “{rota.title}” is "
                       f"{'done' if turn.done_at else 'past'}; only upcoming turns are swapped.")
    other = _opted_in(session, rota, _find_user(session, username), username)
    if other.id == actor.id:
        raise Invalid("Ask someone else: the turn is already yours.", field="username")
    other_turn = None
    if other_number not in (None, ""):
        try:
            wanted = int(str(other_number))
        except ValueError:
            raise Invalid("Their turn is a turn number, or empty to give yours away.",
                          field="other_number") from None
        other_turn = get_turn(session, rota, wanted)
        if other_turn.user_id != other.id or other_turn.done_at is not None \
                or other_turn.due_on < today:
            raise Invalid(f"Turn {wanted} is not an upcoming turn of {other.username}; "
                          "pick one of theirs, or none.", field="other_number")
    for swap in _open_swaps(session, rota):
        if turn.id in (swap.turn_id, swap.other_turn_id):
            raise Conflict(f"A swap of turn {number} is already asked for; cancel it first.")
    swap = RotaSwap(rota_id=rota.id, turn_id=turn.id,
                    other_turn_id=other_turn.id if other_turn else None,
                    asked_by_id=actor.id, asked_to_id=other.id, asked_at=now,
                    status=RotaSwap.ASKED)
    session.add(swap)
    session.flush()
    return swap


def get_swap(session: Session, rota: Rota, swap_id: int) -> RotaSwap:
    swap = session.get(RotaSwap, swap_id) if 0 < swap_id <= MAX_ID else None
    if swap is None or swap.rota_id != rota.id:
        raise NotFound(f"The rota “{rota.title}” has no swap {swap_id}.")
    return swap


def _still_open(swap: RotaSwap) -> None:
    if swap.status != RotaSwap.ASKED:
        raise Conflict(f"That swap is already {swap.status}.")


def confirm_swap(session: Session, rota: Rota, actor: User, swap_id: int,
                 *, now: datetime) -> RotaSwap:
    """The one asked confirms: with both confirmed, the turns change hands."""
    _lock(session, rota)
    swap = get_swap(session, rota, swap_id)
    _still_open(swap)
    if swap.asked_to_id != actor.id:
        raise Forbidden("Only the one asked confirms a swap.")
    if _member_row(session, rota, actor) is None:
        raise Conflict(f"You have left the rota “{rota.title}”; opt in again to take turns.")
    turn, other_turn = swap.turn, swap.other_turn
    today = now.date()
    if turn.user_id != swap.asked_by_id or turn.done_at is not None or turn.due_on < today:
        raise Conflict(f"Turn {turn.number} changed since the swap was asked; it cannot be "
                       "swapped now. Cancel the swap.")
    if other_turn is not None and (other_turn.user_id != actor.id
                                   or other_turn.done_at is not None
                                   or other_turn.due_on < today):
        raise Conflict(f"Your turn {other_turn.number} changed since the swap was asked; it "
                       "cannot be swapped now. Cancel the swap.")
    turn.user_id, turn.assigned_at, turn.agreed = actor.id, now, True
    if other_turn is not None:
        other_turn.user_id, other_turn.assigned_at, other_turn.agreed = \
            swap.asked_by_id, now, True
    swap.status, swap.settled_at, swap.settled_by_id = RotaSwap.CONFIRMED, now, actor.id
    session.flush()
    return swap


def cancel_swap(session: Session, rota: Rota, actor: User, swap_id: int,
                *, now: datetime) -> RotaSwap:
    """Either of the two cancels a swap before it is confirmed."""
    _lock(session, rota)
    swap = get_swap(session, rota, swap_id)
    _still_open(swap)
    if actor.id not in (swap.asked_by_id, swap.asked_to_id):
        raise Forbidden("Only the two people in a swap cancel it.")
    swap.status, swap.settled_at, swap.settled_by_id = RotaSwap.CANCELLED, now, actor.id
    session.flush()
    return swap


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class TurnView:
    number: int
    due_on: date
    holder: str | None
    state: str            # done, upcoming, missed, or open (nobody holds it yet)
    hours: Decimal | None
    work_seq: int | None


def turn_views(session: Session, rota: Rota, today: date) -> tuple[list[TurnView],
                                                                   list[TurnView]]:
    """(upcoming, past) turns: the next turns, held or not, soonest first;
    the turns whose day passed or that are done, latest first."""
    turns = turns_of(session, rota)
    by_number = {turn.number: turn for turn in turns}
    upcoming, past = [], []
    for turn in turns:
        state = rules.turn_state(turn.due_on, turn.done_at is not None, today)
        if state == "upcoming":
            continue
        past.append(_view(turn, state))
    for number in upcoming_numbers(rota, today):
        found = by_number.get(number)
        if found is not None and found.done_at is not None:
            continue
        if found is None or found.user_id is None:
            upcoming.append(TurnView(number, rules.due_on(rota.starts_on, rota.every_days,
                                                          number), None, "open", None, None))
        else:
            upcoming.append(_view(found, "upcoming"))
    past.sort(key=lambda view: -view.number)
    return upcoming, past


def _view(turn: RotaTurn, state: str) -> TurnView:
    return TurnView(turn.number, turn.due_on, turn.user.username if turn.user else None,
                    state, turn.hours, turn.work_seq)


# ---------------------------------------------------------------- labour

MONTHS = 12


@dataclass(frozen=True)
class BusiestByMonth:
    months: list[str]
    shares: dict[str, list[rules.MonthShare]]
    names: dict[int, str]


def busiest_by_month(session: Session, project: Project, today: date) -> BusiestByMonth:
    """Per kind of work, the share of the busiest person in each of the last
    12 months: one aggregate query (a row per kind and person, a column per
    month), the shares worked out by ``rules.busiest_shares``."""
    firsts = rules.months_back(today, MONTHS)
    bounds = [*firsts[1:], _next_month(firsts[-1])]
    hundredths = sa.func.round(sa.cast(WorkLog.hours, sa.Numeric(12, 2)) * 100)
    columns = [sa.func.coalesce(sa.func.sum(sa.case(
        (sa.and_(WorkLog.date >= first, WorkLog.date < bound), hundredths), else_=0)), 0)
        for first, bound in zip(firsts, bounds, strict=True)]
    statement = (sa.select(WorkLog.category, WorkLog.user_id, *columns)
                 .where(WorkLog.project_id == project.id, WorkLog.date >= firsts[0],
                        WorkLog.date < bounds[-1])
                 .group_by(WorkLog.category, WorkLog.user_id))
    rows = [(row[0], row[1], [Decimal(int(value)) / 100 for value in row[2:]])
            for row in session.execute(statement)]
    months = [first.strftime("%Y-%m") for first in firsts]
    shares = rules.busiest_shares(rows, months)
    ids = {share.top_user_id for series in shares.values() for share in series
           if share.top_user_id is not None}
    names = {user_id: name for user_id, name in session.execute(
        sa.select(User.id, User.username).where(User.id.in_(ids)))} if ids else {}
    return BusiestByMonth(months, shares, names)


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year,
                                                                     first.month + 1, 1)
