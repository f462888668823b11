"""decide(proposal, stances, now): examples and properties."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from commons.governance.rules import (
    BLOCKED,
    CONSENSUS,
    MAJORITY,
    OPEN,
    PASSED,
    ProposalState,
    StanceValue,
    decide,
    new_window,
    stance_problem,
    tally,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CLOSE = T0 + timedelta(hours=72)


def proposal(**changes):
    base = dict(status=OPEN, voting=CONSENSUS, closes_at=CLOSE, revision=1, members=5,
                standing=frozenset({1, 2, 3, 4, 5, 9}))
    return ProposalState(**{**base, **changes})


def test_silence_is_assent():
    assert decide(proposal(), [], CLOSE) == PASSED


def test_nothing_is_decided_before_the_window_closes():
    assert decide(proposal(), [], CLOSE - timedelta(seconds=1)) is None


def test_a_standing_objection_blocks():
    assert decide(proposal(), [StanceValue(2, "object", 1)], CLOSE) == BLOCKED


def test_stale_stances_and_stances_without_standing_do_not_count():
    stances = [StanceValue(2, "object", 0), StanceValue(77, "object", 1)]
    assert decide(proposal(), stances, CLOSE) == PASSED
    assert tally(proposal(), stances).objections == 0


def test_an_affected_party_who_is_not_a_member_can_block():
    assert decide(proposal(), [StanceValue(9, "object", 1)], CLOSE) == BLOCKED


def test_majority_needs_more_supports_and_at_least_three():
    votes = [StanceValue(1, "support", 1), StanceValue(2, "support", 1), StanceValue(3, "object", 1)]
    assert decide(proposal(voting=MAJORITY), votes, CLOSE) == BLOCKED  # 2 supports < 3
    votes.append(StanceValue(4, "support", 1))
    assert decide(proposal(voting=MAJORITY), votes, CLOSE) == PASSED
    # A project of two members needs two supports.
    two = proposal(voting=MAJORITY, members=2, standing=frozenset({1, 2}))
    assert decide(two, [StanceValue(1, "support", 1)], CLOSE) == BLOCKED
    assert decide(two, [StanceValue(1, "support", 1), StanceValue(2, "support", 1)], CLOSE) == PASSED


def test_closed_proposals_are_not_decided_again():
    for status in ("passed", "blocked", "failed", "withdrawn"):
        assert decide(proposal(status=status), [], CLOSE + timedelta(days=1)) is None


def test_objections_need_reasons():
    assert stance_problem("object", "  ") and stance_problem("maybe", "")
    assert stance_problem("object", "It breaks the frame") is None
    assert stance_problem("support", "") is None


stance_values = st.builds(StanceValue, user_id=st.integers(1, 12),
                          stance=st.sampled_from(["support", "abstain", "object"]),
                          revision=st.integers(0, 3))
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1),
                       timezones=st.just(UTC))


@given(stances=st.lists(stance_values, max_size=30), now=moments, revision=st.integers(0, 3))
def test_nothing_passes_by_consensus_with_a_standing_objection(stances, now, revision):
    state = proposal(revision=revision)
    standing_objection = any(s.stance == "object" and s.revision == revision
                             and s.user_id in state.standing for s in stances)
    if standing_objection:
        assert decide(state, stances, now) != PASSED


@given(stances=st.lists(stance_values, max_size=30), now=moments,
       voting=st.sampled_from([CONSENSUS, MAJORITY]))
def test_a_window_never_closes_early(stances, now, voting):
    state = proposal(voting=voting)
    if now < state.closes_at:
        assert decide(state, stances, now) is None
    else:
        assert decide(state, stances, now) in (PASSED, BLOCKED)


@given(now=moments, window=st.integers(0, 10**7), minimum=st.integers(1, 10**6))
def test_a_new_window_is_never_shorter_than_the_minimum(now, window, minimum):
    closes = new_window(now, window, minimum)
    assert closes >= now + timedelta(seconds=minimum) and closes > now


@given(stances=st.lists(stance_values, max_size=30), now=moments)
def test_majority_never_passes_without_more_supports_than_objections(stances, now):
    state = proposal(voting=MAJORITY)
    if decide(state, stances, now) == PASSED:
        count = tally(state, stances)
        assert count.supports > count.objections and count.supports >= 3
