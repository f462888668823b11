"""Confirmed work (issue 20) on a real database (SQLite, and PostgreSQL
with COMMONS_TEST_DATABASE_URI): another member confirms logged hours and
may withdraw the confirmation while the month is open; each refusal says
why, writes nothing and leaves the journal head where it was; the rating
of how onerous the work was is kept; the contributor tallies keep
confirmed hours apart."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.contributions import tallies
from commons.contributions.models import LedgerTotal
from commons.extensions import db
from commons.ledger import services
from commons.ledger.models import LedgerEntry, WorkLog
from commons.problems import Conflict, Forbidden, Invalid, NotFound
from commons.recognition import periods
from tests.ledger.conftest import T0


@pytest.fixture
def worked(ledger):
    """Bo logged 3 hours of care work (entry 1) on the clock's day."""
    work = services.log_work(db.session, ledger.project, ledger.bo, "3", "care", "cleaning",
                             now=ledger.clock(), onerous="2")
    db.session.commit()
    assert work.seq == 1
    return ledger


def head(ledger):
    return services.head(db.session, ledger.project)


def confirmed_tally(ledger, user) -> Decimal:
    return sum(db.session.scalars(sa.select(LedgerTotal.amount).where(
        LedgerTotal.project_id == ledger.project.id, LedgerTotal.user_id == user.id,
        LedgerTotal.kind == "confirmed_hours")), Decimal(0))


def refused(ledger, problem, call, *args, **kwargs):
    """*call* raises *problem*; nothing is written and the head stays."""
    before = head(ledger)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    with pytest.raises(problem) as raised:
        call(db.session, ledger.project, *args, now=ledger.clock(), **kwargs)
    db.session.rollback()
    assert head(ledger) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == entries
    return raised.value.message


def test_the_rating_is_kept_in_the_entry_and_the_row(worked):
    work = services.get_work(db.session, worked.project, 1)
    assert work.onerous == 2
    assert services.entry_data(services.get_entry(db.session, worked.project, 1))["onerous"] == 2


def test_work_without_a_rating_hashes_as_before(ledger):
    services.log_work(db.session, ledger.project, ledger.bo, "1", "routine", "x",
                      now=ledger.clock())
    assert "onerous" not in services.entry_data(services.get_entry(db.session,
                                                                   ledger.project, 1))
    assert services.get_work(db.session, ledger.project, 1).onerous is None


@pytest.mark.parametrize("rating", [0, 4, "x", "2.5", True, -1])
def test_a_bad_rating_is_refused(ledger, rating):
    message = refused(ledger, Invalid, services.log_work, ledger.bo, "1", "care", "x",
                      onerous=rating)
    assert "1 (light), 2 (heavy) or 3 (very heavy)" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkLog)) == 0


def test_another_member_confirms(worked):
    work = services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    assert (work.confirmed_by, work.confirmed_seq, work.confirmed_at) == (worked.ada, 2, T0)
    entry = services.get_entry(db.session, worked.project, 2)
    assert entry.action == "work_confirm"
    assert services.entry_data(entry) == {"work": 1, "worker": "bo", "confirmer": "ada",
                                          "at": "2026-03-01T12:00:00.000000Z"}
    assert confirmed_tally(worked, worked.bo) == Decimal("3")
    assert services.verify(db.session, worked.project).intact


def test_own_hours_are_not_confirmed_by_the_worker(worked):
    message = refused(worked, Conflict, services.confirm_work, worked.bo, 1)
    assert "your own work; another member" in message


def test_a_non_member_does_not_confirm(worked):
    message = refused(worked, Forbidden, services.confirm_work, worked.cy, 1)
    assert "Join the project first" in message


def test_hours_are_confirmed_once(worked):
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    assert "confirmed already" in refused(worked, Conflict, services.confirm_work,
                                          worked.ada, 1)


@pytest.mark.parametrize("seq", [2, 99])
def test_an_unknown_work_entry_is_not_found(worked, seq):
    if seq == 2:  # an entry that is not work
        worked.need()
    assert "no work entry #" in refused(worked, NotFound, services.confirm_work,
                                        worked.ada, seq)


def test_the_confirmer_withdraws_while_the_month_is_open(worked):
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    worked.clock.advance(hours=1)
    work = services.withdraw_confirmation(db.session, worked.project, worked.ada, 1,
                                          now=worked.clock())
    db.session.commit()
    assert (work.confirmed_by_id, work.confirmed_seq, work.confirmed_at) == (None, None, None)
    entry = services.get_entry(db.session, worked.project, 3)
    assert entry.action == "work_unconfirm"
    assert services.entry_data(entry)["confirmation"] == 2
    assert confirmed_tally(worked, worked.bo) == 0
    # Withdrawn, it may be confirmed again (by anyone but the worker).
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    assert services.verify(db.session, worked.project).intact


def test_only_the_confirmer_withdraws(worked):
    carol = worked.person("carol")
    from commons.projects import services as projects
    projects.join_project(db.session, worked.project, carol, now=worked.clock())
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    for who in (carol, worked.bo):
        assert "Only the member who confirmed" in refused(
            worked, Conflict, services.withdraw_confirmation, who, 1)
    assert "Join the project first" in refused(worked, Forbidden,
                                               services.withdraw_confirmation, worked.cy, 1)


def test_nothing_to_withdraw(worked):
    assert "not confirmed" in refused(worked, Conflict, services.withdraw_confirmation,
                                      worked.ada, 1)


def test_a_closed_month_keeps_its_confirmations(worked):
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    services.log_work(db.session, worked.project, worked.bo, "1", "care", "more",
                      now=worked.clock())  # 3
    periods.close(db.session, worked.project.id, "2026-03", 99, worked.clock())
    db.session.commit()
    assert periods.is_closed(db.session, worked.project.id, "2026-03")
    assert not periods.is_closed(db.session, worked.project.id, "2026-04")
    assert "closed the month" in refused(worked, Conflict, services.withdraw_confirmation,
                                         worked.ada, 1)
    assert "closed the month" in refused(worked, Conflict, services.confirm_work,
                                         worked.ada, 3)


def test_closing_twice_keeps_the_first(ledger):
    first = periods.close(db.session, ledger.project.id, "2026-02", 5, ledger.clock())
    again = periods.close(db.session, ledger.project.id, "2026-02", 9, ledger.clock())
    assert again is first and again.distribution_seq == 5
    assert periods.period_of(datetime(2026, 2, 28, tzinfo=UTC).date()) == "2026-02"


def test_a_correction_of_the_hours_clears_the_confirmation(worked):
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    services.correct(db.session, worked.project, worked.bo, 1, {"hours": "-1"}, "it was 2",
                     worked.clock())
    db.session.commit()
    work = services.get_work(db.session, worked.project, 1)
    assert (work.hours, work.confirmed_by_id, work.confirmed_seq) == (Decimal("2.00"), None,
                                                                      None)
    assert confirmed_tally(worked, worked.bo) == 0
    assert services.verify(db.session, worked.project).intact
    # The corrected figures can be confirmed afresh.
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    db.session.commit()
    assert confirmed_tally(worked, worked.bo) == Decimal("2")


def test_kept_tallies_are_what_a_replay_of_the_journal_gives(worked):
    services.confirm_work(db.session, worked.project, worked.ada, 1, now=worked.clock())
    services.log_work(db.session, worked.project, worked.ada, "4", "routine", "x",
                      now=worked.clock())  # 3
    services.confirm_work(db.session, worked.project, worked.bo, 3, now=worked.clock())
    services.correct(db.session, worked.project, worked.ada, 3, {"hours": "1"}, "more",
                     worked.clock())
    services.confirm_work(db.session, worked.project, worked.bo, 3, now=worked.clock())
    services.withdraw_confirmation(db.session, worked.project, worked.ada, 1,
                                   now=worked.clock())
    db.session.commit()

    def kept():
        return sorted((row.user_id, row.kind, row.key, row.amount) for row in
                      db.session.scalars(sa.select(LedgerTotal).where(
                          LedgerTotal.project_id == worked.project.id)))
    before = kept()
    assert (worked.ada.id, "confirmed_hours", "routine", Decimal("5")) in before
    assert not any(row[:2] == (worked.bo.id, "confirmed_hours") and row[3] for row in before)
    tallies.rebuild_from_journal(db.session, worked.project)
    db.session.commit()
    assert kept() == before
    stored = services.stored_balances(db.session, worked.project)
    assert stored.work == services.rebuild_balances(db.session, worked.project).work
