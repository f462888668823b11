"""The pure rules of confirmed work (issue 20): the rating, the month, who
may confirm and withdraw; and the fold of confirmations."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commons.ledger import confirm_rules, rules
from commons.ledger.confirm_rules import WorkState, confirm_refusal, withdraw_refusal

OPEN = WorkState(seq=7, worker_id=1, confirmed_by_id=None, period="2026-03",
                 period_closed=False)


@pytest.mark.parametrize("value, rating", [(1, 1), ("2", 2), (" 3 ", 3), (None, None),
                                           ("", None), ("  ", None)])
def test_a_rating_is_one_to_three_or_nothing(value, rating):
    assert confirm_rules.check_onerous(value) == rating


@pytest.mark.parametrize("value", [0, 4, "x", "0", "4", -1, 2.0, "2.0", True, False, [2]])
def test_anything_else_is_refused_on_its_field(value):
    with pytest.raises(rules.RuleError) as raised:
        confirm_rules.check_onerous(value)
    assert raised.value.field == "onerous"
    assert "leave it empty" in str(raised.value)


@given(st.dates())
def test_the_period_is_the_calendar_month(day):
    period = confirm_rules.period_of(day)
    assert len(period) == 7 and period[4] == "-"
    assert date.fromisoformat(period + "-01") == day.replace(day=1)


def test_another_member_confirms_once_while_the_month_is_open():
    assert confirm_refusal(OPEN, 2, True) is None
    assert confirm_refusal(OPEN, 2, False)[0] == 403
    assert confirm_refusal(OPEN, 1, True) == (409, "Entry #7 is your own work; another "
                                                   "member of the project confirms it.")
    confirmed = WorkState(7, 1, 2, "2026-03", False)
    assert confirm_refusal(confirmed, 3, True) == (409, "Entry #7 is confirmed already.")
    closed = WorkState(7, 1, None, "2026-03", True)
    assert "2026-03" in confirm_refusal(closed, 2, True)[1]


@given(worker=st.integers(1, 5), confirmer=st.none() | st.integers(1, 5),
       actor=st.integers(1, 5), member=st.booleans(), closed=st.booleans())
def test_a_confirmation_is_allowed_exactly_when_every_rule_holds(worker, confirmer, actor,
                                                                 member, closed):
    work = WorkState(1, worker, confirmer, "2026-03", closed)
    allowed = member and actor != worker and confirmer is None and not closed
    assert (confirm_refusal(work, actor, member) is None) == allowed
    withdrawable = confirmer == actor and not closed
    assert (withdraw_refusal(work, actor) is None) == withdrawable


def test_withdrawal_refusals_say_why():
    assert "nothing to withdraw" in withdraw_refusal(OPEN, 2)[1]
    confirmed = WorkState(7, 1, 2, "2026-03", False)
    assert "Only the member who confirmed" in withdraw_refusal(confirmed, 3)[1]
    closed = WorkState(7, 1, 2, "2026-03", True)
    assert "no longer be withdrawn" in withdraw_refusal(closed, 2)[1]


def work_entry(hours="3"):
    return {"worker": "bo", "hours": hours, "category": "care", "description": "",
            "date": "2026-03-01", "onerous": 2}


def test_the_fold_sets_and_clears_a_confirmation():
    at = "2026-03-01T12:00:00.000000Z"
    balances = rules.rebuild([
        (1, "work", work_entry()),
        (2, "work_confirm", {"work": 1, "worker": "bo", "confirmer": "ada", "at": at})])
    work = balances.work[1]
    assert (work.onerous, work.confirmed_by, work.confirmed_seq, work.confirmed_at) == \
        (2, "ada", 2, at)
    rules.apply(balances, 3, "work_unconfirm", {"work": 1, "confirmer": "ada",
                                                "confirmation": 2})
    assert (work.confirmed_by, work.confirmed_seq, work.confirmed_at) == (None, None, None)


@given(delta=st.decimals(-3, 3, places=2, allow_nan=False))
def test_a_correction_clears_the_confirmation_when_the_hours_change(delta):
    balances = rules.rebuild([
        (1, "work", work_entry()),
        (2, "work_confirm", {"work": 1, "worker": "bo", "confirmer": "ada", "at": "t"}),
        (3, "correct", {"corrects": 1, "action": "work", "reason": "r",
                        "deltas": {"hours": str(delta)}})])
    work = balances.work[1]
    assert work.hours == Decimal(3) + delta
    assert (work.confirmed_seq is None) == (delta != 0)
