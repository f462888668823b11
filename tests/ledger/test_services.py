"""Ledger use cases on a real database: entries, balances, approval through
governance, corrections, and the rebuild from the journal alone."""

from decimal import Decimal

import pytest

from commons import clock as app_clock
from commons.extensions import db
from commons.ledger import rules, services, verifying
from commons.problems import Conflict, Forbidden, Invalid, NotFound


def test_a_need_below_the_threshold_is_approved_at_once(ledger):
    need = ledger.need(quantity="20", unit_cost="2.50")  # 50 EUR <= 100 EUR
    assert (need.number, need.status, need.needed, need.still_needed) == \
        (1, "approved", Decimal("20.000"), Decimal("20.000"))
    seq, digest = services.head(db.session, ledger.project)
    entry = services.get_entry(db.session, ledger.project, 1)
    assert (seq, digest) == (1, entry.hash)
    assert entry.prev_hash == rules.GENESIS
    assert entry.hash == rules.chain(rules.GENESIS, entry.payload.encode())


def test_a_need_above_the_threshold_waits_for_a_passed_input_proposal(ledger):
    need = ledger.need(quantity="20", unit_cost="24.50")  # 490 EUR
    assert need.status == "pending"
    [proposal] = governance_proposals(ledger)
    assert (proposal.kind, proposal.details) == ("input", {"input": 1})
    services.pledge(db.session, ledger.project, ledger.cy, 1, "5", now=ledger.clock())
    db.session.commit()
    assert [p.user_id for p in proposal.affected] == [ledger.cy.id]
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    assert decision.status == "passed", decision.outcome
    need = services.get_input(db.session, ledger.project, 1)
    assert need.status == "approved" and need.approved
    approve = services.get_entry(db.session, ledger.project, 3)
    assert (approve.action, approve.actor_id) == ("approve", None)
    assert services.verify(db.session, ledger.project).intact


def governance_proposals(ledger):
    from commons.governance import services as governance
    return governance.list_proposals(db.session, ledger.project)


def test_pledge_receive_consume_and_balances(ledger):
    ledger.need(quantity="20", unit_cost="2.50")
    pledge = services.pledge(db.session, ledger.project, ledger.cy, 1, "5", "a spool",
                             now=ledger.clock())
    db.session.commit()
    need = services.get_input(db.session, ledger.project, 1)
    assert (need.pledged, need.still_needed, need.status) == (Decimal(5), Decimal(15), "approved")
    services.record_receipt(db.session, ledger.project, ledger.bo, 1, "5", pledge_seq=pledge.seq,
                            evidence_url="https://example.org/receipt.jpg", now=ledger.clock())
    services.record_consumption(db.session, ledger.project, ledger.bo, 1, "1.250", "prototype",
                                now=ledger.clock())
    db.session.commit()
    need = services.get_input(db.session, ledger.project, 1)
    assert (need.received, need.pledged, need.consumed, need.still_needed) == \
        (Decimal(5), Decimal(0), Decimal("1.25"), Decimal(15))
    receipt = services.entry_data(services.get_entry(db.session, ledger.project, 3))
    assert (receipt["provider"], receipt["provider_user"], receipt["pledge"]) == ("cy", "cy", 2)
    [eur] = services.totals(db.session, ledger.project).items()
    assert eur == ("EUR", rules.Totals(estimated=Decimal("37.50"), pledged=Decimal("0.00"),
                                       received=Decimal("12.50")))  # 15 kg still needed


@pytest.mark.parametrize("quantity, message", [
    ("0", "more than zero"), ("-1", "more than zero"), (1.5, "never a JSON float"),
    (float("nan"), "never a JSON float"), ("NaN", "plain decimal"), ("Infinity", "plain decimal"),
    ("1e3", "plain decimal"), ("1.0001", "at most 3 decimal places"), (True, "string"),
])
def test_bad_quantities_are_refused_and_nothing_is_written(ledger, quantity, message):
    ledger.need()
    with pytest.raises(Invalid, match=message):
        services.pledge(db.session, ledger.project, ledger.cy, 1, quantity, now=ledger.clock())
    db.session.rollback()
    assert services.head(db.session, ledger.project)[0] == 1


@pytest.mark.parametrize("fields, message", [
    ({"unit": "furlong"}, "is not a unit"),
    ({"currency": "EURO"}, "not an ISO 4217"),
    ({"unit_cost": "2.505"}, "EUR has at most 2 decimal places"),
    ({"unit": "piece", "quantity": "1.5"}, "at most 0 decimal places"),
    ({"kind": "vibes"}, "Kind is one of"),
    ({"unit": "JPY", "unit_cost": None, "currency": None, "quantity": "10.5", "kind": "money"},
     "at most 0 decimal places"),
    ({"currency": None}, "Give the currency"),
    ({"needed_by": "next week"}, "YYYY-MM-DD"),
])
def test_bad_needs_are_refused(ledger, fields, message):
    with pytest.raises(Invalid, match=message):
        ledger.need(**fields)
    db.session.rollback()
    assert services.head(db.session, ledger.project)[0] == 0
    assert services.list_inputs(db.session, ledger.project) == []


def test_money_quantised_per_currency(ledger):
    ledger.need(title="Grant for a lathe", kind="money", unit="BHD", quantity="12.345",
                unit_cost=None, currency=None)
    ledger.need(title="Yen", kind="money", unit="jpy", quantity="5000", unit_cost=None,
                currency=None)
    bhd, jpy = services.list_inputs(db.session, ledger.project)
    assert (bhd.needed, bhd.unit, jpy.unit, jpy.status) == (Decimal("12.345"), "BHD", "JPY",
                                                            "pending")
    assert set(services.totals(db.session, ledger.project)) == {"BHD", "JPY"}


def test_who_may_do_what(ledger):
    with pytest.raises(Forbidden):
        ledger.need(by=ledger.cy)
    db.session.rollback()
    ledger.need()
    with pytest.raises(Forbidden):
        services.record_receipt(db.session, ledger.project, ledger.cy, 1, "1", "cy",
                                now=app_clock.now())
    db.session.rollback()
    pledge = services.pledge(db.session, ledger.project, ledger.cy, 1, "2", now=ledger.clock())
    db.session.commit()
    with pytest.raises(Forbidden):
        services.withdraw_pledge(db.session, ledger.project, ledger.bo, pledge.seq,
                                 now=app_clock.now())
    db.session.rollback()
    services.withdraw_pledge(db.session, ledger.project, ledger.cy, pledge.seq, ledger.clock())
    db.session.commit()
    need = services.get_input(db.session, ledger.project, 1)
    assert (need.pledged, need.pledges[0].withdrawn) == (Decimal(0), True)
    with pytest.raises(Conflict):
        services.withdraw_pledge(db.session, ledger.project, ledger.cy, pledge.seq,
                                 now=app_clock.now())


def test_closed_inputs_take_nothing_more(ledger):
    ledger.need()
    services.close_input(db.session, ledger.project, ledger.ada, 1, "found some", ledger.clock())
    db.session.commit()
    with pytest.raises(Conflict, match="closed"):
        services.pledge(db.session, ledger.project, ledger.cy, 1, "1", now=app_clock.now())
    db.session.rollback()
    with pytest.raises(Conflict, match="closed"):
        services.record_receipt(db.session, ledger.project, ledger.bo, 1, "1", "shop",
                                now=app_clock.now())
    db.session.rollback()
    assert services.get_input(db.session, ledger.project, 1).status == "closed"


def test_pledges_and_use_are_bounded(ledger):
    ledger.need(quantity="20")
    with pytest.raises(Invalid, match="Only 20 kg"):
        services.pledge(db.session, ledger.project, ledger.cy, 1, "21", now=app_clock.now())
    db.session.rollback()
    with pytest.raises(Invalid, match="at most 0 kg can be recorded as used"):
        services.record_consumption(db.session, ledger.project, ledger.bo, 1, "1", "tests",
                                    now=app_clock.now())
    db.session.rollback()


def test_corrections_carry_signed_deltas(ledger):
    ledger.need(quantity="20")
    services.record_receipt(db.session, ledger.project, ledger.bo, 1, "5", "shop",
                            now=ledger.clock())
    db.session.commit()
    entry = services.correct(db.session, ledger.project, ledger.bo, 2, {"quantity": "-0.5"},
                             "miscounted", ledger.clock())
    db.session.commit()
    data = services.entry_data(entry)
    assert data == {"corrects": 2, "action": "receipt", "reason": "miscounted",
                    "deltas": {"quantity": "-0.500"}, "input": 1}
    assert services.get_input(db.session, ledger.project, 1).received == Decimal("4.5")
    for seq, deltas, error in [
        (99, {"quantity": "1"}, NotFound), (3, {"quantity": "1"}, Invalid),
        (2, {"quantity": "-10"}, Invalid), (2, {"quantity": "0"}, Invalid),
        (2, {"hours": "1"}, Invalid), (2, {}, Invalid),
    ]:
        with pytest.raises(error):
            services.correct(db.session, ledger.project, ledger.bo, seq, deltas, "x",
                             ledger.clock())
        db.session.rollback()
    assert services.head(db.session, ledger.project)[0] == 3


def test_a_correction_that_raises_the_estimate_asks_again(ledger):
    ledger.need(quantity="20", unit_cost="2.50")
    services.correct(db.session, ledger.project, ledger.ada, 1, {"unit_cost": "22.00"},
                     "price went up", ledger.clock())
    db.session.commit()
    need = services.get_input(db.session, ledger.project, 1)
    assert (need.unit_cost, need.status) == (Decimal("24.50"), "pending")
    assert [p.kind for p in governance_proposals(ledger)] == ["input"]


def test_work_is_logged_and_bounded_per_day(ledger):
    work = services.log_work(db.session, ledger.project, ledger.bo, "6", "care", "cleaning",
                             "2026-03-01", now=ledger.clock())
    db.session.commit()
    assert (work.hours, work.category, work.user_id) == (Decimal(6), "care", ledger.bo.id)
    with pytest.raises(Invalid, match="a day has 24"):
        services.log_work(db.session, ledger.project, ledger.bo, "18.5", "routine", "x",
                          "2026-03-01", now=ledger.clock())
    db.session.rollback()
    for hours, category, day, message in [
        ("0", "care", None, "more than zero"), ("-2", "care", None, "more than zero"),
        ("2", "gardening", None, "Category"), ("2", "care", "2026-03-02", "future"),
    ]:
        with pytest.raises(Invalid, match=message):
            services.log_work(db.session, ledger.project, ledger.bo, hours, category, "x", day,
                              now=ledger.clock())
        db.session.rollback()
    with pytest.raises(Forbidden):
        services.log_work(db.session, ledger.project, ledger.cy, "1", "care", "x", None,
                          now=ledger.clock())
    db.session.rollback()
    services.correct(db.session, ledger.project, ledger.bo, 1, {"hours": "-1.5"}, "overcounted",
                     ledger.clock())
    db.session.commit()
    assert services.verify(db.session, ledger.project).intact


def test_balances_rebuild_from_the_journal_alone(ledger):
    ledger.need(quantity="20")
    ledger.need(title="Kiln time", kind="equipment", unit="hour", quantity="10",
                unit_cost="30", currency="EUR")
    p = services.pledge(db.session, ledger.project, ledger.cy, 1, "5", now=ledger.clock())
    q = services.pledge(db.session, ledger.project, ledger.bo, 1, "3", now=ledger.clock())
    services.record_receipt(db.session, ledger.project, ledger.bo, 1, "4", pledge_seq=p.seq,
                            now=ledger.clock())
    services.record_consumption(db.session, ledger.project, ledger.bo, 1, "2", "x",
                                now=ledger.clock())
    services.correct(db.session, ledger.project, ledger.cy, p.seq, {"quantity": "1"}, "more",
                     ledger.clock())
    services.withdraw_pledge(db.session, ledger.project, ledger.bo, q.seq, ledger.clock())
    services.log_work(db.session, ledger.project, ledger.ada, "2", "coordination", "x",
                      now=ledger.clock())
    db.session.commit()
    rebuilt = services.rebuild_balances(db.session, ledger.project)
    stored = services.stored_balances(db.session, ledger.project)
    assert rebuilt.inputs.keys() == stored.inputs.keys() == {1, 2}
    for number in rebuilt.inputs:
        assert verifying._balance_view(rebuilt.inputs[number]) == \
            verifying._balance_view(stored.inputs[number])
        assert rebuilt.inputs[number].status == stored.inputs[number].status
    assert {s: w.hours for s, w in rebuilt.work.items()} == \
        {s: w.hours for s, w in stored.work.items()}
    one = rebuilt.inputs[1]
    assert (one.pledged, one.received, one.consumed, one.still_needed) == \
        (Decimal(2), Decimal(4), Decimal(2), Decimal(14))
    assert services.verify(db.session, ledger.project).intact


def test_closing_a_pending_input_withdraws_its_proposal(ledger):
    ledger.need(quantity="20", unit_cost="24.50")
    services.close_input(db.session, ledger.project, ledger.bo, 1, "donated elsewhere",
                         ledger.clock())
    db.session.commit()
    [proposal] = governance_proposals(ledger)
    assert proposal.status == "withdrawn"
    ledger.clock.advance(days=4)
    assert ledger.tick() == []


def test_a_blocked_input_stays_pending(ledger):
    from commons.governance import services as governance
    ledger.need(quantity="20", unit_cost="24.50")
    [proposal] = governance_proposals(ledger)
    governance.take_stance(db.session, proposal, ledger.bo, "object", "too dear",
                           ledger.clock())
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    assert decision.status == "blocked"
    assert services.get_input(db.session, ledger.project, 1).status == "pending"
    with pytest.raises(Exception, match="already asks"):
        governance.open_proposal(db.session, ledger.project, ledger.ada, "input", "again", "",
                                 {"input": 1}, ledger.settings(), ledger.clock())
    db.session.rollback()
    governance.withdraw_proposal(db.session, proposal, ledger.ada, ledger.clock())
    db.session.commit()
    again = governance.open_proposal(db.session, ledger.project, ledger.ada, "input",
                                     "Approve filament after all", "", {"input": "1"},
                                     ledger.settings(), ledger.clock())
    db.session.commit()
    ledger.clock.advance(days=4)
    [decision] = ledger.tick()
    assert (decision.number, decision.status) == (again.number, "passed")
    assert services.get_input(db.session, ledger.project, 1).status == "approved"


@pytest.mark.parametrize("unit, kind, stored", [
    ("KG", "material", "kg"), ("kwh", "energy", "kWh"), ("EUR", "money", "EUR"),
    ("eur", "money", "EUR"), ("CUP", "material", "CUP"),
])
def test_units_are_read_as_people_write_them(ledger, unit, kind, stored):
    need = ledger.need(unit=unit, kind=kind, quantity="3", unit_cost=None, currency=None)
    assert need.unit == stored


def test_a_lowercase_word_is_not_taken_for_a_currency(ledger):
    with pytest.raises(Invalid, match="“cup” is not a unit"):
        ledger.need(unit="cup", unit_cost=None, currency=None)


def test_balances_carry_the_units_decimals_from_the_start(ledger):
    need = ledger.need(quantity="20")
    assert [str(v) for v in (need.received, need.consumed, need.pledged, need.still_needed)] \
        == ["0.000", "0.000", "0.000", "20.000"]


def test_a_receipt_credits_an_account_only_when_it_stands_behind_it(ledger):
    ledger.need(quantity="20")
    pledge = services.pledge(db.session, ledger.project, ledger.cy, 1, "2", now=ledger.clock())
    by_name = services.record_receipt(db.session, ledger.project, ledger.bo, 1, "1", "cy",
                                      now=ledger.clock())
    own = services.record_receipt(db.session, ledger.project, ledger.bo, 1, "1", "bo",
                                  now=ledger.clock())
    pledged = services.record_receipt(db.session, ledger.project, ledger.bo, 1, "1",
                                      pledge_seq=pledge.seq, now=ledger.clock())
    db.session.commit()
    assert [services.entry_data(e)["provider_user"] for e in (by_name, own, pledged)] == \
        [None, "bo", "cy"]


def test_a_pledge_cannot_be_corrected_below_what_arrived(ledger):
    ledger.need(quantity="20")
    pledge = services.pledge(db.session, ledger.project, ledger.cy, 1, "5", now=ledger.clock())
    services.record_receipt(db.session, ledger.project, ledger.bo, 1, "5",
                            pledge_seq=pledge.seq, now=ledger.clock())
    db.session.commit()
    with pytest.raises(Invalid, match="5 kg of pledge #2 has arrived already"):
        services.correct(db.session, ledger.project, ledger.cy, pledge.seq,
                         {"quantity": "-3"}, "less", ledger.clock())
    db.session.rollback()
    with pytest.raises(Invalid, match="still needed"):
        services.correct(db.session, ledger.project, ledger.cy, pledge.seq,
                         {"quantity": "16"}, "more", ledger.clock())


def test_work_is_logged_only_for_days_since_joining_and_not_too_long_ago(ledger):
    """Year 1 used to be accepted, and every such day is empty, so the
    24 hours a day cap meant nothing."""
    def log(who, day, hours="20", **kwargs):
        return services.log_work(db.session, ledger.project, who, hours, "care", "x", day,
                                 now=ledger.clock(), **kwargs)

    ledger.clock.advance(days=100)  # 2026-06-09; bo joined on 2026-03-01
    for day in ("0001-01-01", "2025-12-31", "2026-02-28"):
        with pytest.raises(Invalid, match="before you joined the project on 2026-03-01") as no:
            log(ledger.bo, day, max_days_back=10**6)
        assert no.value.field == "date"
        db.session.rollback()
    with pytest.raises(Invalid, match="Hours older than 60 days are recorded as a correction"):
        log(ledger.bo, "2026-04-09")
    db.session.rollback()
    assert log(ledger.bo, "2026-04-10").date.isoformat() == "2026-04-10"  # 60 days back
    db.session.commit()
    with pytest.raises(Invalid, match="more than 30 days ago"):
        log(ledger.bo, "2026-05-09", "1", max_days_back=30)
    db.session.rollback()
    assert log(ledger.bo, "2026-03-01", "1", max_days_back=100).hours == 1
    db.session.commit()
    assert [(w.date.isoformat(), w.hours) for w in services.recent_work(
        db.session, ledger.project, 10)] == [("2026-03-01", 1), ("2026-04-10", 20)]
