"""``ledger verify`` re-derives confirmations (issue 20) from the journal:
a confirmation row edited behind the application's back, or a confirm
entry rewritten and re-chained, is caught by the single walk and by the
split one (the chain and the work logs in a second process), which name
the same entry."""

import pytest

from commons.extensions import db
from commons.ledger import services
from tests.ledger.test_verify import ENTRY, tamper, verify
from tests.ledger.test_verify_split import BATCH


@pytest.fixture
def confirmed(ledger):
    """Entries: 1 bo's work (rated 3), 2 a need, 3 ada confirms 1, 4 ada's
    work, 5 bo confirms 4, 6 bo withdraws it, 7 a correction of 1 (its
    confirmation cleared), 8 ada confirms 1 again."""
    project, clock, ada, bo = ledger.project, ledger.clock, ledger.ada, ledger.bo
    services.log_work(db.session, project, bo, "3", "care", "cleaning", now=clock(),
                      onerous=3)
    ledger.need()
    services.confirm_work(db.session, project, ada, 1, now=clock())
    clock.advance(minutes=1)
    services.log_work(db.session, project, ada, "2", "routine", "sorting", now=clock())
    services.confirm_work(db.session, project, bo, 4, now=clock())
    services.withdraw_confirmation(db.session, project, bo, 4, now=clock())
    services.correct(db.session, project, bo, 1, {"hours": "0.5"}, "forgot", clock())
    clock.advance(minutes=1)
    services.confirm_work(db.session, project, ada, 1, now=clock())
    db.session.commit()
    assert services.head(db.session, project)[0] == 8
    return ledger


def both(ledger):
    """(the split verify, the single walk) of the same journal."""
    db.session.commit()
    split = services.verify(db.session, ledger.project, batch=BATCH, split=True)
    single = services.verify(db.session, ledger.project, batch=BATCH, split=False)
    db.session.rollback()
    return split, single


def test_an_intact_journal_of_confirmations_verifies_both_ways(confirmed):
    split, single = both(confirmed)
    assert split.intact and single.intact and split.split
    assert verify(confirmed).exit_code == 0


WORK = "UPDATE work_logs SET {} WHERE project_id = :project AND seq = :seq"
TAMPERING = {
    "confirmer changed": (WORK.format(
        "confirmed_by_id = (SELECT id FROM users WHERE username = 'bo')"), {"seq": 1}, 1),
    "confirmation removed": (WORK.format(
        "confirmed_by_id = NULL, confirmed_seq = NULL, confirmed_at = NULL"), {"seq": 1}, 1),
    "confirmation added": (WORK.format(
        "confirmed_by_id = (SELECT id FROM users WHERE username = 'bo'), confirmed_seq = 5"),
        {"seq": 4}, 4),
    "confirming entry changed": (WORK.format("confirmed_seq = 3"), {"seq": 1}, 1),
    "rating changed": (WORK.format("onerous = 1"), {"seq": 1}, 1),
}


@pytest.mark.parametrize("sql, params, seq", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_confirmation_row_edited_is_caught(confirmed, sql, params, seq):
    tamper(confirmed, sql, **params)
    split, single = both(confirmed)
    assert (split.intact, split.bad_seq, split.problem) == (False, seq, single.problem)
    assert "rating or confirmation of work entry" in split.problem
    result = verify(confirmed)
    assert result.exit_code == 1 and f"entry {seq} is bad" in result.output


def test_a_confirmation_time_edited_is_caught(confirmed):
    from datetime import timedelta
    work = services.get_work(db.session, confirmed.project, 1)
    tamper(confirmed, WORK.format("confirmed_at = :at"), seq=1,
           at=work.confirmed_at + timedelta(days=1))
    split, single = both(confirmed)
    assert (split.bad_seq, single.bad_seq) == (1, 1)


def rechain_from(ledger, seq, change):
    """Rewrite entry *seq* with *change*(payload) and re-chain every later
    entry and the head: the chain alone then says intact."""
    from commons.ledger import rules
    last = services.head(db.session, ledger.project)[0]
    entries = [services.get_entry(db.session, ledger.project, n) for n in range(seq, last + 1)]
    previous = entries[0].prev_hash
    for entry in entries:
        payload = change(entry.payload) if entry.seq == seq else entry.payload
        digest = rules.chain(previous, payload.encode())
        tamper(ledger, ENTRY.format("payload = :payload, prev_hash = :prev, hash = :hash"),
               seq=entry.seq, payload=payload, prev=previous, hash=digest)
        previous = digest
    tamper(ledger, "UPDATE ledger_heads SET hash = :hash WHERE project_id = :project",
           hash=previous)


def test_a_confirm_entry_rewritten_and_rechained_is_caught(confirmed):
    """Entry 8 re-chained to say bo confirmed (his own hours): the chain
    holds, the work log folded from it differs from the stored one."""
    rechain_from(confirmed, 8, lambda payload: payload.replace('"confirmer":"ada"',
                                                               '"confirmer":"bo"'))
    split, single = both(confirmed)
    assert (split.intact, split.bad_seq, split.problem) == (False, 1, single.problem)
    assert "confirmation of work entry #1" in split.problem


def test_a_withdrawal_rewritten_to_another_entry_is_caught(confirmed):
    """Entry 6 re-chained to withdraw the confirmation of entry 1 instead
    of 4: the fold finds 4 still confirmed and 1 not, as stored."""
    rechain_from(confirmed, 6, lambda payload: payload.replace('"work":4', '"work":1'))
    split, single = both(confirmed)
    assert (split.intact, split.bad_seq) == (False, 4)
    assert split.problem == single.problem


def test_a_confirm_entry_naming_no_work_cannot_be_applied(confirmed):
    rechain_from(confirmed, 3, lambda payload: payload.replace('"work":1', '"work":99'))
    split, single = both(confirmed)
    assert (split.intact, split.bad_seq) == (False, 3)
    assert split.problem == single.problem == "its data cannot be applied (KeyError(99))"
