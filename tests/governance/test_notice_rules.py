"""Notice gates silence: the pure rule, with plain values."""

from datetime import UTC, datetime, timedelta

from commons.governance.notice_rules import (
    LATER,
    READY,
    WAITING,
    NoticeValue,
    gate,
    postponed_because,
    rate_limited,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_silence_counts_once_everyone_was_told_and_the_window_ran():
    told = [NoticeValue(T0, True), NoticeValue(T0 + timedelta(hours=1), True)]
    assert gate(told, DAY, T0 + DAY + timedelta(hours=1)).state == READY


def test_a_late_notice_moves_the_close_to_a_window_after_it():
    told = [NoticeValue(T0, True), NoticeValue(T0 + timedelta(hours=5), True)]
    result = gate(told, DAY, T0 + DAY)
    assert result.state == LATER
    assert result.closes_at == T0 + DAY + timedelta(hours=5)
    assert "now closes 2026-03-02 17:00 UTC" in postponed_because(result)


def test_pending_notice_keeps_it_waiting_and_counts_who_waits():
    notices = [NoticeValue(T0, True), NoticeValue(None, True), NoticeValue(None, True)]
    result = gate(notices, DAY, T0 + DAY)
    assert (result.state, result.pending, result.closes_at) == (WAITING, 2, T0 + 2 * DAY)
    assert "waiting for notice to 2 people" in postponed_because(result)
    assert "1 person" in postponed_because(gate([NoticeValue(None, True)], DAY, T0))


def test_who_cannot_be_reached_gates_nothing():
    notices = [NoticeValue(T0, True), NoticeValue(None, False)]
    assert gate(notices, DAY, T0 + DAY).state == READY


def test_no_notices_at_all_is_no_obstacle():
    # Proposals opened before notices were recorded decide as they always did.
    assert gate([], DAY, T0).state == READY


def test_the_window_has_run_exactly_at_its_end():
    assert gate([NoticeValue(T0, True)], DAY, T0 + DAY).state == READY
    assert gate([NoticeValue(T0, True)], DAY, T0 + DAY - timedelta(seconds=1)).state == LATER


def test_rate_limit_is_per_day_count():
    assert not rate_limited(4, 5)
    assert rate_limited(5, 5)
