"""The stored work logs compared with the journal's, in seq order: a log
missing from the tables, one the journal lacks, and one that differs are
each named by the first entry where the two sides part, whichever side
runs ahead, in one process and split over two. Real databases, rows
altered with plain SQL."""

import pytest

from commons.extensions import db
from commons.ledger import services
from tests.ledger.test_verify import tamper

BATCH = 2  # eight entries: four ranges, so a split verify splits


@pytest.fixture
def worked(ledger):
    """Work logs at entries 2, 4, 5 and 8, other entries between them."""
    project, clock = ledger.project, ledger.clock
    ledger.need(quantity="20")  # 1
    services.log_work(db.session, project, ledger.bo, "2", "routine", "sorting",
                      now=clock())  # 2
    services.pledge(db.session, project, ledger.cy, 1, "5", "a spool", now=clock())  # 3
    services.log_work(db.session, project, ledger.bo, "1.5", "routine", "sweeping",
                      now=clock())  # 4
    services.log_work(db.session, project, ledger.ada, "0.25", "routine", "filing",
                      now=clock())  # 5
    services.record_receipt(db.session, project, ledger.bo, 1, "5", pledge_seq=3,  # 6
                            evidence_url="https://example.org/receipt.jpg", now=clock())
    services.pledge(db.session, project, ledger.ada, 1, "2", "", now=clock())  # 7
    services.log_work(db.session, project, ledger.ada, "3", "routine", "mending",
                      now=clock())  # 8
    db.session.commit()
    assert services.head(db.session, project)[0] == 8
    return ledger


def verified(ledger):
    """(one process, split) verifies of the same journal."""
    db.session.commit()
    results = [services.verify(db.session, ledger.project, batch=BATCH, split=split)
               for split in (False, True)]
    db.session.rollback()
    return results


DELETE = "DELETE FROM work_logs WHERE project_id = :project AND seq = :seq"
CHANGE = "UPDATE work_logs SET description = 'resting' WHERE project_id = :project AND seq = :seq"
# A copy of a stored log under a seq the journal has no work at.
COPY = ("INSERT INTO work_logs (project_id, seq, user_id, date, hours, category, description) "
        "SELECT project_id, :new, user_id, date, hours, category, description FROM work_logs "
        "WHERE project_id = :project AND seq = :seq")

CASES = {
    "the first log missing": ([(DELETE, {"seq": 2})], 2),
    "a middle log missing": ([(DELETE, {"seq": 4})], 4),
    "the last log missing (the journal runs on past the tables)": ([(DELETE, {"seq": 8})], 8),
    "a log the journal lacks, between two it has": ([(COPY, {"seq": 2, "new": 3})], 3),
    "a log the journal lacks, before every one it has": ([(COPY, {"seq": 2, "new": 1})], 1),
    "a log the journal lacks, past its end": ([(COPY, {"seq": 8, "new": 9})], 9),
    "one missing before one changed": ([(CHANGE, {"seq": 8}), (DELETE, {"seq": 5})], 5),
    "one changed before one missing": ([(CHANGE, {"seq": 4}), (DELETE, {"seq": 5})], 4),
    "one missing, the next replaced by one the journal lacks": (
        [(DELETE, {"seq": 4}), (COPY, {"seq": 5, "new": 6}), (DELETE, {"seq": 5})], 4),
    "a log the journal lacks before one missing": (
        [(COPY, {"seq": 2, "new": 3}), (DELETE, {"seq": 4})], 3),
}


@pytest.mark.parametrize("steps, seq", CASES.values(), ids=CASES.keys())
def test_the_first_work_log_that_parts_from_the_journal_is_named(worked, steps, seq):
    for sql, params in steps:
        tamper(worked, sql, **params)
    for result in verified(worked):
        assert (result.intact, result.bad_seq, result.problem) == (
            False, seq, f"the stored work log of entry #{seq} differs from the journal")


def test_intact_work_logs_verify(worked):
    assert [result.intact for result in verified(worked)] == [True, True]
