"""The full verify split over two processes (the chain in a second
process, the fold in this one), forced on a six-entry journal by reading
it in ranges of two seqs: (0, 2], (2, 4], (4, 6]. Every tampering the
single walk catches is caught, named exactly as the single walk names it,
including at the ranges' edges and where only one of the two parts can
see it. Real databases, rows altered with plain SQL."""

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import rules, services
from commons.ledger.models import LedgerEntry
from tests.ledger.test_verify import ENTRY, TAMPERING, journal, tamper  # noqa: F401

BATCH = 2  # six entries: three ranges, so the split runs


def both(ledger):
    """(the split verify, the single walk) of the same journal."""
    db.session.commit()
    split = services.verify(db.session, ledger.project, batch=BATCH, split=True)
    single = services.verify(db.session, ledger.project, batch=BATCH, split=False)
    db.session.rollback()
    return split, single


def test_an_intact_journal_is_checked_on_two_processes(journal):  # noqa: F811
    split, single = both(journal)
    assert split.intact and split.split
    assert not single.split
    assert (split.entries, split.head) == (single.entries, single.head) == \
        (6, services.head(db.session, journal.project))


def test_one_range_or_less_is_not_split(journal):  # noqa: F811
    db.session.commit()
    result = services.verify(db.session, journal.project, batch=6, split=True)
    assert result.intact and not result.split


@pytest.mark.parametrize("sql, params, seq, problem", TAMPERING.values(), ids=TAMPERING.keys())
def test_every_tampering_is_caught_and_named_as_the_single_walk_names_it(
        journal, sql, params, seq, problem):  # noqa: F811
    tamper(journal, sql, **params)
    split, single = both(journal)
    assert not split.intact
    assert (split.bad_seq, split.problem, split.entries) == \
        (single.bad_seq, single.problem, single.entries)
    assert split.bad_seq == seq and problem in split.problem


DELETE = "DELETE FROM ledger_entries WHERE project_id = :project AND seq = :seq"

EDGES = {
    # Ranges (0, 2], (2, 4], (4, 6]: the ends of one and the starts of the next.
    "a payload at a range's end": (
        [(ENTRY.format("payload = replace(payload, '\"a spool\"', '\"a spoon\"')"),
          {"seq": 2})], 2, "its hash does not match its content"),
    "a hash at a range's start": ([(ENTRY.format("hash = :hash"), {"seq": 3, "hash": "e" * 64})],
                                  3, "its hash does not match its content"),
    "a prev_hash at a range's start": (
        [(ENTRY.format("prev_hash = :hash"), {"seq": 5, "hash": rules.GENESIS})], 5,
        "its prev_hash is not the previous entry's hash"),
    "the entry ending a range, deleted": ([(DELETE, {"seq": 4})], 4,
                                          "entry 4 is missing (found 5 next)"),
    "a whole range, deleted": ([(DELETE, {"seq": 3}), (DELETE, {"seq": 4})], 3,
                               "entry 3 is missing (found 5 next)"),
    "the last range, deleted": ([(DELETE, {"seq": 5}), (DELETE, {"seq": 6})], 6,
                                "the head says entry 6"),
}


@pytest.mark.parametrize("steps, seq, problem", EDGES.values(), ids=EDGES.keys())
def test_tampering_at_the_ranges_edges_is_caught(journal, steps, seq, problem):  # noqa: F811
    for sql, params in steps:
        tamper(journal, sql, **params)
    split, single = both(journal)
    assert (split.intact, split.bad_seq, split.problem) == (False, seq, single.problem)
    assert problem in split.problem


def rechain_from(ledger, seq, change):
    """Rewrite entry *seq* with *change*(payload) and re-chain it, every
    later entry and the head, as someone covering their tracks would: the
    chain alone then says intact."""
    entries = [services.get_entry(db.session, ledger.project, n) for n in range(seq, 7)]
    previous = entries[0].prev_hash
    for entry in entries:
        payload = change(entry.payload) if entry.seq == seq else entry.payload
        digest = rules.chain(previous, payload.encode())
        tamper(ledger, ENTRY.format("payload = :payload, prev_hash = :prev, hash = :hash"),
               seq=entry.seq, payload=payload, prev=previous, hash=digest)
        previous = digest
    tamper(ledger, "UPDATE ledger_heads SET hash = :hash WHERE project_id = :project",
           hash=previous)


def test_data_only_the_fold_can_refuse_is_caught_in_its_process(journal):  # noqa: F811
    """Entry 3 (a receipt) re-chained to name a pledge that does not exist:
    the chain's process finds nothing, the fold in this one cannot apply it."""
    rechain_from(journal, 3, lambda payload: payload.replace('"pledge":2', '"pledge":99'))
    split, single = both(journal)
    assert (split.intact, split.bad_seq) == (False, 3)
    assert split.problem == single.problem == "its data cannot be applied (KeyError(99))"


def test_a_payload_only_the_chain_checks_is_caught_in_its_process(journal):  # noqa: F811
    """Entry 5's actor column changed: the fold never reads it, the chain's
    process does."""
    tamper(journal, ENTRY.format("actor_id = (SELECT id FROM users WHERE username = 'cy')"),
           seq=5)
    split, single = both(journal)
    assert (split.intact, split.bad_seq) == (False, 5)
    assert split.problem == single.problem == "its actor column says 'cy', its payload 'bo'"


def test_a_rechained_journal_still_fails_on_its_balances(journal):  # noqa: F811
    rechain_from(journal, 3, lambda payload: payload.replace('"quantity":"5.000"',
                                                             '"quantity":"50.000"'))
    split, single = both(journal)
    assert split.split  # the chain and the fold passed; the stored balances did not
    assert (split.intact, split.bad_seq, split.problem) == \
        (False, 1, single.problem)
    assert "the stored balance of input #1 differs" in split.problem


def test_work_data_only_the_chains_process_folds_is_caught_there(journal):  # noqa: F811
    """Entry 5 (an hour of work) re-chained with hours that are no number:
    work logs are folded in the chain's process, which refuses it."""
    rechain_from(journal, 5, lambda payload: payload.replace('"hours":"', '"hours":"x'))
    split, single = both(journal)
    assert (split.intact, split.bad_seq) == (False, 5)
    assert split.problem == single.problem
    assert split.problem.startswith("its data cannot be applied (InvalidOperation")


def test_a_correction_turned_into_one_of_work_is_caught(journal):  # noqa: F811
    """Entry 6 corrects the receipt (entry 3); re-chained to say it corrects
    work, it moves to the chain's process's fold, which has no work log 3."""
    rechain_from(journal, 6, lambda payload: payload.replace('"action":"receipt"',
                                                             '"action":"work"'))
    split, single = both(journal)
    assert (split.intact, split.bad_seq) == (False, 6)
    assert split.problem == single.problem == "its data cannot be applied (KeyError(3))"


def test_a_stored_work_log_is_compared_in_the_chains_process(journal):  # noqa: F811
    tamper(journal, "UPDATE work_logs SET description = 'resting' WHERE project_id = :project "
                    "AND seq = 5")
    split, single = both(journal)
    assert split.split and (split.intact, split.bad_seq) == (False, 5)
    assert split.problem == single.problem == \
        "the stored work log of entry #5 differs from the journal"


def test_the_command_can_walk_in_one_process(journal):  # noqa: F811
    db.session.commit()
    runner = journal.app.test_cli_runner()
    one = runner.invoke(args=["ledger", "verify", "--one-process", "dryer"])
    assert one.exit_code == 0, one.output
    assert one.output == runner.invoke(args=["ledger", "verify", "dryer"]).output
    tamper(journal, ENTRY.format("hash = :hash"), seq=3, hash="e" * 64)
    bad = runner.invoke(args=["ledger", "verify", "--one-process", "dryer"])
    assert bad.exit_code == 1
    assert "dryer: entry 3 is bad: its hash does not match its content." in bad.output


def test_by_default_it_splits_on_sqlite_only(journal):  # noqa: F811
    """On PostgreSQL the server's process already takes the second core."""
    db.session.commit()
    result = services.verify(db.session, journal.project, batch=BATCH)
    assert result.intact
    assert result.split == (db.engine.dialect.name == "sqlite")


INPUT_BALANCE = "UPDATE ledger_inputs SET received = '7.000' WHERE project_id = :project AND number = 1"
WORK_LOG = "UPDATE work_logs SET description = 'resting' WHERE project_id = :project AND seq = 5"


def test_an_input_and_a_work_log_both_wrong_are_named_in_the_single_walks_order(
        journal):  # noqa: F811
    """The inputs are compared in this process while the chain's process
    still walks, the work logs there: what is reported is still the
    single walk's first difference, the input's."""
    tamper(journal, INPUT_BALANCE)
    tamper(journal, WORK_LOG)
    split, single = both(journal)
    assert split.split and not split.intact
    assert (split.bad_seq, split.problem) == (single.bad_seq, single.problem) == \
        (1, "the stored balance of input #1 differs from the one the journal gives")


def test_a_broken_chain_is_named_before_a_balance_compared_meanwhile(journal):  # noqa: F811
    """A stored balance wrong (found here before the chain's process
    answers) and a hash wrong (found there): the chain's entry is named."""
    tamper(journal, INPUT_BALANCE)
    tamper(journal, ENTRY.format("hash = :hash"), seq=4, hash="e" * 64)
    split, single = both(journal)
    assert (split.intact, split.bad_seq, split.problem) == \
        (False, 4, "its hash does not match its content") == \
        (single.intact, single.bad_seq, single.problem)


def test_a_comparison_that_cannot_read_a_balance_waits_for_the_chain(journal):  # noqa: F811
    """A stored quantity that is not a number makes the comparison raise,
    but a bad hash earlier in the chain is what the single walk reports:
    the split reports it too, and raises only where the single walk does."""
    original = db.session.scalar(sa.select(LedgerEntry.hash).where(
        LedgerEntry.project_id == journal.project.id, LedgerEntry.seq == 4))
    tamper(journal, "UPDATE ledger_pledges SET quantity = 'x' WHERE project_id = :project "
                    "AND seq = 2")
    tamper(journal, ENTRY.format("hash = :hash"), seq=4, hash="e" * 64)
    split, single = both(journal)
    assert (split.bad_seq, split.problem) == (single.bad_seq, single.problem) == \
        (4, "its hash does not match its content")
    tamper(journal, ENTRY.format("hash = :hash"), seq=4, hash=original)
    db.session.commit()
    for split_it in (True, False):
        with pytest.raises(ArithmeticError):
            services.verify(db.session, journal.project, batch=BATCH, split=split_it)
        db.session.rollback()
