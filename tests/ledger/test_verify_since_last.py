"""`flask --app commons ledger verify --since-last SLUG`: each intact verify
keeps the head as the project's checkpoint; the next --since-last checks
the checkpointed entry still has the hash it had, then only what came
after. Rows are altered behind the application's back with plain SQL."""

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import rules, services
from commons.ledger.models import LedgerCheckpoint
from tests.ledger.test_verify import ENTRY, tamper


@pytest.fixture
def checked(ledger):
    """Six entries, verified in full: the checkpoint is entry 6."""
    project, clock = ledger.project, ledger.clock
    ledger.need(quantity="20", unit_cost="2.50")  # 1
    for _ in range(4):  # 2..5
        services.pledge(db.session, project, ledger.cy, 1, "1", now=clock())
    services.log_work(db.session, project, ledger.bo, "2", "routine", "sorting", now=clock())
    db.session.commit()
    assert run(ledger).exit_code == 0
    assert checkpoint(ledger) == services.head(db.session, project) == (6, head_hash(ledger))
    return ledger


def run(ledger, *options):
    db.session.commit()  # nothing of the test's own is pending or cached
    return ledger.app.test_cli_runner().invoke(args=["ledger", "verify", *options, "dryer"])


def checkpoint(ledger):
    db.session.expire_all()
    row = db.session.get(LedgerCheckpoint, ledger.project.id)
    return (row.seq, row.hash) if row else None


def head_hash(ledger):
    return services.head(db.session, ledger.project)[1]


def more_entries(ledger, count=3):
    for _ in range(count):
        services.log_work(db.session, ledger.project, ledger.bo, "1", "routine", "more",
                          now=ledger.clock())
    db.session.commit()


def test_without_a_checkpoint_it_verifies_everything_and_keeps_one(ledger):
    ledger.need()
    assert checkpoint(ledger) is None
    result = run(ledger, "--since-last")
    assert result.exit_code == 0, result.output
    assert "dryer: 1 entries, chain intact, balances match." in result.output
    assert checkpoint(ledger) == (1, head_hash(ledger))


def test_it_checks_only_the_entries_after_the_checkpoint_and_moves_it(checked):
    more_entries(checked, 3)
    result = run(checked, "--since-last")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("dryer: 3 entries after the checkpoint at entry 6, chain "
                                     f"intact. Head: entry 9 {head_hash(checked)}")
    assert checkpoint(checked) == (9, head_hash(checked))
    # Nothing new: nothing to walk, still intact.
    again = run(checked, "--since-last")
    assert "dryer: 0 entries after the checkpoint at entry 9, chain intact." in again.output


def test_a_tampered_entry_after_the_checkpoint_is_caught_and_the_checkpoint_stays(checked):
    more_entries(checked, 3)
    tamper(checked, ENTRY.format("payload = replace(payload, '\"more\"', '\"less\"')"), seq=8)
    result = run(checked, "--since-last")
    assert result.exit_code == 1, result.output
    assert "dryer: entry 8 is bad: its hash does not match its content." in result.output
    assert "Checked 2 entries after the checkpoint at entry 6" in result.output
    assert checkpoint(checked)[0] == 6


def test_a_tampered_checkpointed_entry_is_caught(checked):
    tamper(checked, ENTRY.format("payload = replace(payload, '\"sorting\"', '\"resting\"')"),
           seq=6)
    result = run(checked, "--since-last")
    assert result.exit_code == 1, result.output
    assert "dryer: entry 6 is bad: its hash does not match its content." in result.output


def test_a_past_rewritten_up_to_the_checkpoint_cannot_hide_behind_it(checked):
    """Re-chaining the checkpointed entry gives it a new hash: not the one
    verified."""
    entry = services.get_entry(db.session, checked.project, 6)
    payload = entry.payload.replace('"sorting"', '"resting"')
    assert payload != entry.payload
    tamper(checked, ENTRY.format("payload = :payload, hash = :hash"), seq=6, payload=payload,
           hash=rules.chain(entry.prev_hash, payload.encode()))
    result = run(checked, "--since-last")
    assert result.exit_code == 1
    assert "entry 6 is bad: its hash is no longer the one verified at the checkpoint" \
        in result.output
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM ledger_entries WHERE project_id = :p AND "
                                   "seq = 6"), {"p": checked.project.id})
    assert "entry 6 is bad: the checkpointed entry is missing" in \
        run(checked, "--since-last").output


def test_a_tampered_entry_before_the_checkpoint_is_left_to_the_full_verify(checked):
    """--since-last trusts what it verified before; the full verify, which
    CI and a periodic job run, still walks from the first entry."""
    more_entries(checked, 2)
    tamper(checked, ENTRY.format("payload = replace(payload, '\"quantity\":\"1.000\"', "
                                 "'\"quantity\":\"5.000\"')"), seq=3)
    quick = run(checked, "--since-last")
    assert quick.exit_code == 0 and "2 entries after the checkpoint at entry 6" in quick.output
    full = run(checked)
    assert full.exit_code == 1
    assert "dryer: entry 3 is bad: its hash does not match its content." in full.output
    assert checkpoint(checked)[0] == 8  # the full verify failed: it did not move it


def test_a_checkpoint_at_an_empty_journal_leads_to_the_whole_verify(ledger):
    assert run(ledger).exit_code == 0
    assert checkpoint(ledger) == (0, rules.GENESIS)
    ledger.need()
    result = run(ledger, "--since-last")
    assert result.exit_code == 0, result.output
    assert "dryer: 1 entries, chain intact, balances match." in result.output
