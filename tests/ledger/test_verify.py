"""`flask --app commons ledger verify SLUG` against a real database whose
rows are then altered behind the application's back, with plain SQL: each
time it exits 1 and names the first bad entry."""

import gc
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import rules, services
from commons.types import UTCDateTime


@pytest.fixture
def journal(ledger):
    """Six entries: a need, a pledge, a receipt against it, some use, an
    hour of work and a correction of the receipt."""
    project, clock = ledger.project, ledger.clock
    ledger.need(quantity="20", unit_cost="2.50")  # 1
    pledge = services.pledge(db.session, project, ledger.cy, 1, "5", "a spool", now=clock())  # 2
    services.record_receipt(db.session, project, ledger.bo, 1, "5", pledge_seq=pledge.seq,  # 3
                            evidence_url="https://example.org/receipt.jpg", now=clock())
    services.record_consumption(db.session, project, ledger.bo, 1, "1.25", "prototype",  # 4
                                now=clock())
    services.log_work(db.session, project, ledger.bo, "2", "routine", "sorting", now=clock())  # 5
    services.correct(db.session, project, ledger.bo, 3, {"quantity": "-0.5"}, "wet spool",  # 6
                     clock())
    db.session.commit()
    assert services.head(db.session, project)[0] == 6
    return ledger


def verify(ledger, slug="dryer"):
    db.session.commit()  # nothing of the test's own is pending or cached
    return ledger.app.test_cli_runner().invoke(args=["ledger", "verify", slug])


def tamper(ledger, sql, **params):
    """Change the database directly, as someone with its password could."""
    statement = sa.text(sql)
    if "at" in params:  # written as the column writes times, on either database
        statement = statement.bindparams(sa.bindparam("at", type_=UTCDateTime()))
    with db.engine.begin() as connection:
        done = connection.execute(statement, {"project": ledger.project.id, **params})
    assert done.rowcount == 1, "the tampering statement changed nothing"


def test_an_intact_journal_verifies_and_shows_its_head(journal):
    seq, digest = services.head(db.session, journal.project)
    result = verify(journal)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"dryer: 6 entries, chain intact, balances match. "
                                     f"Head: entry 6 {digest}")


def test_an_empty_ledger_verifies(ledger):
    result = verify(ledger)
    assert result.exit_code == 0, result.output
    assert f"dryer: 0 entries, chain intact, balances match. Head: entry 0 {rules.GENESIS}" \
        in result.output


def test_an_unknown_project_is_a_clear_error(ledger):
    result = verify(ledger, "no-such-project")
    assert result.exit_code == 1
    assert "There is no project “no-such-project”" in result.output
    assert "Traceback" not in result.output


ENTRY = "UPDATE ledger_entries SET {} WHERE project_id = :project AND seq = :seq"

TAMPERING = {
    "an amount in a payload": (
        ENTRY.format("payload = replace(payload, '\"quantity\":\"5.000\"', '\"quantity\":\"50.000\"')"),
        {"seq": 3}, 3, "its hash does not match its content"),
    "a payload no longer canonical": (
        ENTRY.format("payload = replace(payload, '\"action\":', '\"action\": ')"),
        {"seq": 2}, 2, "its hash does not match its content"),
    "a hash": (ENTRY.format("hash = :hash"), {"seq": 3, "hash": "e" * 64}, 3,
               "its hash does not match its content"),
    "the last hash": (ENTRY.format("hash = :hash"), {"seq": 6, "hash": "e" * 64}, 6,
                      "its hash does not match its content"),
    "a prev_hash": (ENTRY.format("prev_hash = :hash"), {"seq": 4, "hash": rules.GENESIS}, 4,
                    "its prev_hash is not the previous entry's hash"),
    "the action column": (ENTRY.format("action = 'pledge'"), {"seq": 3}, 3,
                          "its action column says 'pledge', its payload 'receipt'"),
    "the time column": (ENTRY.format("at = :at"), {"seq": 5, "at": datetime(2020, 1, 1, tzinfo=UTC)},
                        5, "its at column says '2020-01-01T00:00:00.000000Z'"),
    "the actor column": (
        ENTRY.format("actor_id = (SELECT id FROM users WHERE username = 'cy')"), {"seq": 4}, 4,
        "its actor column says 'cy', its payload 'bo'"),
    "the actor column, emptied": (ENTRY.format("actor_id = NULL"), {"seq": 2}, 2,
                                  "its actor column says None, its payload 'cy'"),
    "the input column": (ENTRY.format("input_number = 2"), {"seq": 3}, 3,
                         "its input column says 2, its payload 1"),
    "the input column of work": (ENTRY.format("input_number = 1"), {"seq": 5}, 5,
                                 "its input column says 1, its payload None"),
    "the last entry, deleted": (
        "DELETE FROM ledger_entries WHERE project_id = :project AND seq = :seq", {"seq": 6}, 6,
        "the head says entry 6"),
    "a middle entry, deleted": (
        "DELETE FROM ledger_entries WHERE project_id = :project AND seq = :seq", {"seq": 3}, 3,
        "entry 3 is missing (found 4 next)"),
    "the first entry, deleted": (
        "DELETE FROM ledger_entries WHERE project_id = :project AND seq = :seq", {"seq": 1}, 1,
        "entry 1 is missing (found 2 next)"),
    "a stored balance": (
        "UPDATE ledger_inputs SET received = '50.000' WHERE project_id = :project AND number = 1",
        {}, 1, "the stored balance of input #1 differs from the one the journal gives"),
    "a stored pledge": (
        "UPDATE ledger_pledges SET withdrawn = :yes WHERE project_id = :project AND seq = 2",
        {"yes": True}, 1, "the stored balance of input #1 differs"),
    "a stored pledge's quantity": (
        "UPDATE ledger_pledges SET quantity = '6.000' WHERE project_id = :project AND seq = 2",
        {}, 1, "the stored balance of input #1 differs"),
    "a stored pledge, deleted": (
        "DELETE FROM ledger_pledges WHERE project_id = :project AND seq = 2",
        {}, 1, "the stored balance of input #1 differs"),
    "a stored work log": (
        "UPDATE work_logs SET hours = '20.00' WHERE project_id = :project AND seq = 5", {}, 5,
        "the stored work log of entry #5 differs from the journal"),
    "the head's hash": (
        "UPDATE ledger_heads SET hash = :hash WHERE project_id = :project", {"hash": "a" * 64},
        6, "the head says entry 6 aaaaaaaaaaaa"),
    "the head's seq, moved back": (
        "UPDATE ledger_heads SET seq = 5 WHERE project_id = :project", {}, 6,
        "the head says entry 5"),
    "the head row, deleted": (
        "DELETE FROM ledger_heads WHERE project_id = :project", {}, 6,
        f"the head says entry 0 {rules.GENESIS[:12]}"),
}


@pytest.mark.parametrize("sql, params, seq, problem", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_row_altered_in_the_database_is_caught(journal, sql, params, seq, problem):
    before = services.head(db.session, journal.project)
    tamper(journal, sql, **params)
    result = verify(journal)
    assert result.exit_code == 1, result.output
    assert f"dryer: entry {seq} is bad: {problem}" in result.output, result.output
    assert "Checked" in result.output
    # Verifying changes nothing: the evidence stays as it was found.
    db.session.expire_all()
    after = services.head(db.session, journal.project)
    assert after == before or "head" in sql


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(journal):
    entry = services.get_entry(db.session, journal.project, 3)
    payload = entry.payload.replace('"quantity":"5.000"', '"quantity":"50.000"')
    tamper(journal, ENTRY.format("payload = :payload, hash = :hash"), seq=3, payload=payload,
           hash=rules.chain(entry.prev_hash, payload.encode()))
    result = verify(journal)
    assert result.exit_code == 1
    assert "entry 4 is bad: its prev_hash is not the previous entry's hash" in result.output


def test_two_entries_swapped_are_caught(journal):
    for old, new in [(3, 1000), (4, 3), (1000, 4)]:
        tamper(journal, ENTRY.format("seq = :new"), seq=old, new=new)
    result = verify(journal)
    assert result.exit_code == 1
    assert "entry 3 is bad: its seq column says 3, its payload 4" in result.output


def test_a_whole_journal_rewritten_consistently_still_fails_on_its_balances(journal):
    """Someone who rewrites an amount and re-chains every later entry and
    the head gets past the chain; the balances kept beside it give them
    away (and the head hash anyone downloaded with an export no longer
    matches)."""
    old_head = services.head(db.session, journal.project)[1]
    entries = [services.get_entry(db.session, journal.project, seq) for seq in range(1, 7)]
    previous = entries[1].hash
    for entry in entries[2:]:
        payload = entry.payload.replace('"quantity":"5.000"', '"quantity":"50.000"')
        digest = rules.chain(previous, payload.encode())
        tamper(journal, ENTRY.format("payload = :payload, prev_hash = :prev, hash = :hash"),
               seq=entry.seq, payload=payload, prev=previous, hash=digest)
        previous = digest
    tamper(journal, "UPDATE ledger_heads SET hash = :hash WHERE project_id = :project",
           hash=previous)
    result = verify(journal)
    assert result.exit_code == 1
    assert "entry 1 is bad: the stored balance of input #1 differs" in result.output
    assert old_head not in result.output


def test_postgresql_recomputes_the_hashes_byte_for_byte(ledger):
    """On PostgreSQL the server recomputes sha256(prev_hash || payload)
    (the verify's own process only parses and folds); its bytes must be
    exactly Python's, non-ASCII text and escapes included, and a change of
    one accented letter is still caught at its entry."""
    from commons.ledger import verifying
    assert verifying._hashes_in_database(db.session) == (db.engine.dialect.name == "postgresql")
    ledger.need(title="Räder für Öfen — “5 €” \\ \"rund\"")  # 1
    ledger.need(title="Plywood")  # 2
    result = verify(ledger)
    assert result.exit_code == 0, result.output
    tamper(ledger, ENTRY.format("payload = replace(payload, 'Räder', 'Rader')"), seq=1)
    result = verify(ledger)
    assert result.exit_code == 1
    assert "dryer: entry 1 is bad: its hash does not match its content." in result.output


def test_the_collector_stays_off_for_the_whole_verify(journal):
    """The walk leaves the folded balances young: a collection during the
    comparisons after it would traverse all of them for no cycles (2 s of a
    verify at a million entries). A threshold of 1 makes any container the
    comparisons keep trigger one, were the collector on."""
    db.session.commit()
    collections = []

    def count(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(count)
    try:
        result = services.verify(db.session, journal.project, split=False)
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*threshold)
    assert result.intact and collections == []
    assert gc.isenabled()  # back on afterwards
