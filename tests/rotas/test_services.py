"""Rota use cases on the database: turns go first to those who did least
of the kind of work, swaps take effect only when both agree, a done turn is
ordinary work in the journal, a missed turn is only shown; every bad input
is refused with a message and writes nothing."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger.models import WorkLog
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.projects.models import Project
from commons.projects.services import leave_project
from commons.rotas import services
from commons.rotas.models import Rota, RotaMember, RotaSwap, RotaTurn


def counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Rota, RotaMember, RotaTurn, RotaSwap, WorkLog))


def refused(scene, problem, action, match):
    """*action* is refused with *problem* saying *match*; nothing written."""
    before, head = counts(), scene.head()
    with pytest.raises(problem, match=match):
        action()
    db.session.rollback()
    assert counts() == before
    assert scene.head() == head


def test_create_a_rota(scene):
    rota = scene.rota(starts_on="2026-06-03")
    assert (rota.title, rota.category, rota.every_days, rota.hours, rota.starts_on) == \
        ("Clean the workshop", "care", 7, Decimal("2"), date(2026, 6, 3))
    assert [r.id for r in services.list_rotas(db.session, scene.project)] == [rota.id]
    weekly = scene.rota("Cook", every_days="weekly", category="", hours="1.5")
    assert (weekly.every_days, weekly.category) == (7, "care")


@pytest.mark.parametrize(("fields", "match"), [
    ({"title": ""}, "Title"),
    ({"category": "sleeping"}, "Kind of work is one of"),
    ({"every_days": "0"}, "from 1 to 366"),
    ({"every_days": "often"}, "whole number"),
    ({"hours": "-1"}, "hours"),
    ({"hours": "25"}, "at most 24"),
    ({"hours": "a lot"}, "hours"),
    ({"starts_on": "tomorrow"}, "YYYY-MM-DD"),
    ({"starts_on": "2030-01-01"}, "within a year"),
])
def test_a_bad_rota_is_refused(scene, fields, match):
    form = services.RotaFields(**{"title": "Clean", **fields})
    refused(scene, Invalid, lambda: services.create_rota(
        db.session, scene.project, scene.ada, form, now=scene.clock()), match)


def test_only_members_create_and_opt_in(scene):
    refused(scene, Forbidden, lambda: services.create_rota(
        db.session, scene.project, scene.oz, services.RotaFields(title="Clean"),
        now=scene.clock()), "Members of Shed")
    rota = scene.rota()
    refused(scene, Forbidden, lambda: services.opt_in(
        db.session, scene.project, rota, scene.oz, now=scene.clock()), "Join the project")
    scene.opt_in(rota, scene.ada)
    refused(scene, Conflict, lambda: services.opt_in(
        db.session, scene.project, rota, scene.ada, now=scene.clock()), "already in")
    refused(scene, Conflict, lambda: services.opt_out(
        db.session, scene.project, rota, scene.bo, now=scene.clock()), "not in")


def test_turns_go_first_to_who_did_least(scene):
    scene.work(scene.ada, "10")            # care: ada did most
    scene.work(scene.bo, "3")
    scene.work(scene.cy, "8", "creative")  # another kind: cy did no care
    scene.work(scene.cy, "1", days_ago=120)  # care, but older than 90 days
    rota = scene.rota()
    scene.opt_in(rota, scene.ada)
    assert scene.holders(rota) == ["ada", "ada", "ada", "ada"]
    scene.opt_in(rota, scene.bo, scene.cy)
    # Each opt-in hands the planned turns out again, but today's: cy (0 h
    # of care), bo (3 h), then cy again: a holder goes after those who hold
    # nothing.
    assert scene.holders(rota) == ["ada", "cy", "bo", "cy"]
    later = scene.rota("Cook", starts_on="2026-06-02")
    scene.opt_in(later, scene.ada, scene.bo, scene.cy)
    assert scene.holders(later) == ["cy", "bo", "ada", "cy"]
    assert services.refresh(db.session, scene.project, rota, now=scene.clock()) == 0


def test_two_people_alternate_and_new_turns_come_into_view(scene):
    rota = scene.rota(starts_on=scene.clock().date().isoformat())
    scene.opt_in(rota, scene.ada)
    scene.opt_in(rota, scene.bo)
    assert scene.holders(rota) == ["ada", "bo", "ada", "bo"]
    # Opting out hands the leaver's turns to the others.
    services.opt_out(db.session, scene.project, rota, scene.ada, now=scene.clock())
    db.session.commit()
    assert scene.holders(rota) == ["bo", "bo", "bo", "bo"]
    services.opt_out(db.session, scene.project, rota, scene.bo, now=scene.clock())
    db.session.commit()
    assert scene.holders(rota) == [None, None, None, None]
    rota2 = scene.rota("Bins", starts_on=scene.clock().date().isoformat())
    for person in (scene.ada, scene.bo):
        db.session.add(RotaMember(rota_id=rota2.id, user_id=person.id,
                                  opted_in_at=scene.clock()))
    db.session.commit()
    services.refresh(db.session, scene.project, rota2, now=scene.clock())
    db.session.commit()
    assert scene.holders(rota2) == ["ada", "bo", "ada", "bo"]
    scene.clock.advance(days=14)
    assert services.refresh(db.session, scene.project, rota2, now=scene.clock()) == 2
    db.session.commit()
    assert scene.holders(rota2) == ["ada", "bo", "ada", "bo"]
    _upcoming, past = services.turn_views(db.session, rota2, scene.clock().date())
    assert [(view.number, view.state) for view in past] == [(2, "missed"), (1, "missed")]


def two_alternating(scene):
    rota = scene.rota(starts_on=scene.clock().date().isoformat())
    for person in (scene.ada, scene.bo):
        db.session.add(RotaMember(rota_id=rota.id, user_id=person.id,
                                  opted_in_at=scene.clock()))
    db.session.commit()
    services.refresh(db.session, scene.project, rota, now=scene.clock())
    db.session.commit()
    return rota


def test_two_readers_hand_new_turns_out_once(scene):
    """Two requests read a rota as new turns come into view. The first is
    held just before it inserts them (by a hook on its connection) until the
    second has finished, or for 3 s if the second waits on the first's lock.
    Unlocked, both read the turns as open and the first's insert failed."""
    rota = two_alternating(scene)
    scene.clock.advance(days=14)  # turns 5 and 6 come into view
    app, project_id, rota_id, now = scene.app, scene.project.id, rota.id, scene.clock()
    first_inserting, second_done = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def hold_before_inserting(_conn, _cursor, statement, *_args):
        if statement.lstrip().lower().startswith("insert into rota_turns"):
            first_inserting.set()
            second_done.wait(3)

    def read(name: str) -> None:
        with app.app_context():
            project, read_rota = db.session.get(Project, project_id), db.session.get(Rota, rota_id)
            connection = db.session.connection()
            if name == "first":
                sa.event.listen(connection, "before_cursor_execute", hold_before_inserting)
            else:
                first_inserting.wait(20)
            try:
                outcomes[name] = services.refresh(db.session, project, read_rota, now=now)
                db.session.commit()
            except Exception as error:  # what the reader would have shown: a 500
                db.session.rollback()
                outcomes[name] = repr(error)
            finally:
                if name == "first":
                    sa.event.remove(connection, "before_cursor_execute", hold_before_inserting)
                else:
                    second_done.set()

    threads = [threading.Thread(target=read, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert first_inserting.is_set()
    assert sorted(map(str, outcomes.values())) == ["0", "2"], outcomes
    db.session.expire_all()
    assert [turn.number for turn in services.turns_of(db.session, rota)] == [1, 2, 3, 4, 5, 6]
    assert scene.holders(rota) == ["ada", "bo", "ada", "bo"]


def test_a_done_turn_is_ordinary_work(scene):
    rota = two_alternating(scene)
    head = scene.head()
    turn = services.mark_done(db.session, scene.project, rota, scene.ada, 1, "2.5",
                              now=scene.clock())
    db.session.commit()
    work = db.session.scalar(sa.select(WorkLog).where(WorkLog.seq == turn.work_seq))
    assert (work.hours, work.category, work.user_id, work.date) == \
        (Decimal("2.5"), "care", scene.ada.id, scene.clock().date())
    assert "Clean the workshop" in work.description and "turn 1" in work.description
    assert work.confirmed_by_id is None  # awaits another member, like any work
    assert scene.head() == (head or 0) + 1
    _upcoming, past = services.turn_views(db.session, rota, scene.clock().date())
    assert [(view.number, view.state, view.work_seq) for view in past] == \
        [(1, "done", turn.work_seq)]
    # The done hours count: ada now has more care than bo.
    assert services.hours_of_kind(db.session, scene.project, "care", [scene.ada.id],
                                  scene.clock().date()) == {scene.ada.id: Decimal("2.5")}


def test_bad_done_is_refused(scene):
    rota = two_alternating(scene)
    refused(scene, Forbidden, lambda: services.mark_done(
        db.session, scene.project, rota, scene.bo, 1, now=scene.clock()), "ada's")
    refused(scene, NotFound, lambda: services.mark_done(
        db.session, scene.project, rota, scene.ada, 9, now=scene.clock()), "no turn 9")
    refused(scene, Conflict, lambda: services.mark_done(
        db.session, scene.project, rota, scene.ada, 3, now=scene.clock()), "mark it done from")
    refused(scene, Invalid, lambda: services.mark_done(
        db.session, scene.project, rota, scene.ada, 1, "25", now=scene.clock()), "24")
    refused(scene, Invalid, lambda: services.mark_done(
        db.session, scene.project, rota, scene.ada, 1, "two", now=scene.clock()), "hours")
    services.mark_done(db.session, scene.project, rota, scene.ada, 1, now=scene.clock())
    db.session.commit()
    refused(scene, Conflict, lambda: services.mark_done(
        db.session, scene.project, rota, scene.ada, 1, now=scene.clock()), "already done")


def test_a_missed_turn_is_shown_and_can_be_done_late(scene):
    rota = two_alternating(scene)
    scene.clock.advance(days=3)
    _upcoming, past = services.turn_views(db.session, rota, scene.clock().date())
    assert [(view.number, view.state, view.holder) for view in past] == \
        [(1, "missed", "ada")]
    turn = services.mark_done(db.session, scene.project, rota, scene.ada, 1, now=scene.clock())
    db.session.commit()
    work = db.session.scalar(sa.select(WorkLog).where(WorkLog.seq == turn.work_seq))
    assert work.date == (scene.clock() - timedelta(days=3)).date()  # the turn's day
    # Too late: past the days back work may be logged.
    scene.clock.advance(days=68)
    refused(scene, Invalid, lambda: services.mark_done(
        db.session, scene.project, rota, scene.bo, 2, now=scene.clock()), "more than 60 days")


def test_a_swap_takes_effect_when_both_confirmed(scene):
    rota = two_alternating(scene)
    swap = services.ask_swap(db.session, scene.project, rota, scene.ada, 1, "bo", 2,
                             now=scene.clock())
    db.session.commit()
    assert scene.holders(rota) == ["ada", "bo", "ada", "bo"]  # nothing moved yet
    refused(scene, Forbidden, lambda: services.confirm_swap(
        db.session, rota, scene.ada, swap.id, now=scene.clock()), "Only the one asked")
    refused(scene, Conflict, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "bo", now=scene.clock()),
        "already asked")
    services.confirm_swap(db.session, rota, scene.bo, swap.id, now=scene.clock())
    db.session.commit()
    assert scene.holders(rota) == ["bo", "ada", "ada", "bo"]
    # An agreed turn stays put when someone opts in; the rule's turns move.
    scene.opt_in(rota, scene.cy)
    assert scene.holders(rota) == ["bo", "ada", "cy", "ada"]
    refused(scene, Conflict, lambda: services.cancel_swap(
        db.session, rota, scene.bo, swap.id, now=scene.clock()), "already confirmed")


def test_a_swap_can_give_a_turn_away_or_be_cancelled(scene):
    rota = two_alternating(scene)
    swap = services.ask_swap(db.session, scene.project, rota, scene.ada, 3, "BO",
                             now=scene.clock())
    db.session.commit()
    services.cancel_swap(db.session, rota, scene.bo, swap.id, now=scene.clock())
    db.session.commit()
    refused(scene, Conflict, lambda: services.confirm_swap(
        db.session, rota, scene.bo, swap.id, now=scene.clock()), "already cancelled")
    again = services.ask_swap(db.session, scene.project, rota, scene.ada, 3, "bo",
                              now=scene.clock())
    db.session.commit()
    refused(scene, Forbidden, lambda: services.cancel_swap(
        db.session, rota, scene.cy, again.id, now=scene.clock()), "Only the two")
    services.confirm_swap(db.session, rota, scene.bo, again.id, now=scene.clock())
    db.session.commit()
    assert scene.holders(rota) == ["ada", "bo", "bo", "bo"]


def test_a_turn_goes_only_to_someone_who_opted_in(scene):
    rota = two_alternating(scene)
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "cy", now=scene.clock()),
        "cy has not opted in to the rota")
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "oz", now=scene.clock()),
        "has not opted in")
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "nobody", now=scene.clock()),
        "No account")
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "ada", now=scene.clock()),
        "someone else")
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "bo", 3, now=scene.clock()),
        "not an upcoming turn of bo")
    refused(scene, Forbidden, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.bo, 1, "ada", now=scene.clock()), "not yours")
    # The one asked left before confirming: the swap was cancelled with it.
    swap = services.ask_swap(db.session, scene.project, rota, scene.ada, 1, "bo",
                             now=scene.clock())
    db.session.commit()
    services.opt_out(db.session, scene.project, rota, scene.bo, now=scene.clock())
    db.session.commit()
    assert db.session.get(RotaSwap, swap.id).status == RotaSwap.CANCELLED


def test_a_swap_whose_turn_changed_is_refused(scene):
    rota = two_alternating(scene)
    swap = services.ask_swap(db.session, scene.project, rota, scene.ada, 1, "bo",
                             now=scene.clock())
    db.session.commit()
    scene.clock.advance(days=8)  # turn 1's day passed
    refused(scene, Conflict, lambda: services.confirm_swap(
        db.session, rota, scene.bo, swap.id, now=scene.clock()), "changed since")


def test_a_rota_of_another_project_is_not_found(scene):
    rota = scene.rota()
    from commons.projects import services as projects
    other = projects.create_project(db.session, scene.bo, projects.NewProject(
        name="Kiln", slug="kiln", license="MIT"),
        projects.Settings.from_config(scene.app.config), now=scene.clock())
    db.session.commit()
    with pytest.raises(NotFound):
        services.get_rota(db.session, other, rota.id)
    with pytest.raises(NotFound):
        services.get_rota(db.session, scene.project, 2**40)


def test_busiest_share_by_month(scene):
    scene.work(scene.ada, "9", days_ago=60)   # 2026-04: ada 9 of 10 care hours
    scene.work(scene.bo, "1", days_ago=60)
    scene.work(scene.ada, "2", days_ago=1)    # 2026-05: ada 2, bo 2, cy 4
    scene.work(scene.bo, "2", days_ago=1)
    scene.work(scene.cy, "4", days_ago=1)
    scene.work(scene.cy, "3", "routine", days_ago=1)
    found = services.busiest_by_month(db.session, scene.project, scene.clock().date())
    assert found.months[-3:] == ["2026-04", "2026-05", "2026-06"] and len(found.months) == 12
    care = {share.month: share for share in found.shares["care"]}
    assert (care["2026-04"].top_share, found.names[care["2026-04"].top_user_id]) == (90, "ada")
    assert (care["2026-05"].top_share, care["2026-05"].people, care["2026-05"].total) == \
        (50, 3, Decimal(8))
    assert care["2026-06"].top_share is None
    assert list(found.shares) == ["routine", "care"]
    assert found.shares["routine"][-2].top_share == 100


def test_someone_who_left_the_project_is_handed_no_turns(scene):
    rota = two_alternating(scene)
    assert scene.holders(rota) == ["ada", "bo", "ada", "bo"]
    leave_project(db.session, scene.project, scene.bo, scene.clock())
    db.session.commit()
    assert services.refresh(db.session, scene.project, rota, now=scene.clock()) == 2
    db.session.commit()
    assert scene.holders(rota) == ["ada", "ada", "ada", "ada"]
    refused(scene, Invalid, lambda: services.ask_swap(
        db.session, scene.project, rota, scene.ada, 1, "bo",
        now=scene.clock()), "has not opted in")


def test_reading_a_rota_nobody_joined_takes_no_lock(scene):
    """With nobody to hand a turn to, a view writes nothing: on SQLite the
    lock is the database's write lock, which every other writer would wait
    on while the page renders."""
    rota = scene.rota(starts_on=scene.clock().date().isoformat())
    writes: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    connection = db.session.connection()
    sa.event.listen(connection, "before_cursor_execute", note)
    try:
        assert services.refresh(db.session, scene.project, rota, now=scene.clock()) == 0
    finally:
        sa.event.remove(connection, "before_cursor_execute", note)
    assert writes == []
