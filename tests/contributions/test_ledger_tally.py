"""The ledger tallies the contributor records read: kept entry by entry as
the journal is appended, they equal a replay of the journal alone, and a
new unit cost revalues every pledge and delivery of the need."""

import random
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from commons.contributions import services
from commons.contributions.models import LedgerDay, LedgerTotal
from commons.extensions import db
from commons.ledger import services as ledger
from commons.problems import Problem
from tests.contributions.test_records import T0, repos, team  # noqa: F401 (fixtures)


def kept(project_id: int) -> tuple[dict, dict]:
    totals = {(row.user_id, row.kind, row.key): row.amount for row in db.session.scalars(
        sa.select(LedgerTotal).where(LedgerTotal.project_id == project_id))}
    days = {(row.user_id, row.day, row.kind, row.key): row.amount for row in db.session.scalars(
        sa.select(LedgerDay).where(LedgerDay.project_id == project_id))}
    return totals, days


def test_a_new_unit_cost_revalues_pledges_and_deliveries(team):  # noqa: F811
    helper, project, alice, bob, carol, dave = team
    now = T0 + timedelta(hours=1)
    wood = ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title="Plywood", kind="material", quantity="10", unit="piece", unit_cost="20",
        currency="EUR"), now)
    pledge = ledger.pledge(db.session, project, bob, wood.number, "4", now=now)
    ledger.record_receipt(db.session, project, alice, wood.number, "3", pledge_seq=pledge.seq,
                          now=now)
    ledger.correct(db.session, project, alice, 1, {"unit_cost": "5"}, "Price went up", now=now)
    db.session.commit()
    bob_ = helper.records(project, today=now.date())["bob"]
    assert bob_.pledged_value == {"EUR": Decimal("100")}  # 4 × 25
    assert bob_.delivered_value == {"EUR": Decimal("75")}  # 3 × 25


def test_kept_tallies_equal_a_replay_of_the_journal(team):  # noqa: F811
    helper, project, alice, bob, carol, dave = team
    people = [alice, bob, carol]
    rng = random.Random(6)
    now = T0 + timedelta(hours=1)
    needs = [ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title=f"Need {n}", kind="material", quantity="1000", unit=unit, unit_cost=cost,
        currency="EUR" if cost else None), now)
        for n, (unit, cost) in enumerate([("kg", "2.50"), ("piece", None), ("l", "0.12")])]
    db.session.commit()
    pledges, receipts, work = [], [], []
    for _step in range(160):
        now += timedelta(hours=rng.randint(1, 30))
        who, need = rng.choice(people), rng.choice(needs)
        action = rng.choice(["work", "work", "pledge", "pledge", "receipt", "withdraw",
                             "correct", "confirm", "confirm", "unconfirm"])
        try:
            if action == "work":
                work.append(ledger.log_work(db.session, project, who, str(rng.randint(1, 4)),
                                            rng.choice(["routine", "care", "creative"]),
                                            "Work", now=now))
            elif action == "pledge":
                pledges.append(ledger.pledge(db.session, project, who, need.number,
                                             str(rng.randint(1, 9)), now=now))
            elif action == "receipt":
                against = rng.choice(pledges) if pledges and rng.random() < 0.6 else None
                receipts.append(ledger.record_receipt(
                    db.session, project, who, against.input.number if against else need.number,
                    "1", "" if against else who.username,
                    pledge_seq=against.seq if against else None, now=now))
            elif action == "withdraw" and pledges:
                mine = rng.choice(pledges)
                ledger.withdraw_pledge(db.session, project, mine.pledger, mine.seq, now)
            elif action == "confirm" and work:  # issue 20: confirmed hours, a kind of their own
                ledger.confirm_work(db.session, project, who, rng.choice(work).seq, now=now)
            elif action == "unconfirm" and work:
                ledger.withdraw_confirmation(db.session, project, who, rng.choice(work).seq,
                                             now=now)
            elif action == "correct":
                kind = rng.choice(["pledge", "receipt", "work", "need"])
                if kind == "pledge" and pledges:
                    ledger.correct(db.session, project, alice, rng.choice(pledges).seq,
                                   {"quantity": rng.choice(["1", "-1"])}, "Fix", now=now)
                elif kind == "receipt" and receipts:
                    ledger.correct(db.session, project, alice, rng.choice(receipts).seq,
                                   {"quantity": rng.choice(["0.5", "-0.5"])}, "Fix", now=now)
                elif kind == "work" and work:
                    ledger.correct(db.session, project, alice, rng.choice(work).seq,
                                   {"hours": "-1"}, "Fix", now=now)
                elif kind == "need":
                    ledger.correct(db.session, project, alice, needs[0].seq,
                                   {"unit_cost": rng.choice(["0.25", "-0.25"])}, "Fix", now=now)
            db.session.commit()
        except Problem:
            db.session.rollback()  # a refused step (over the need, below zero): no change
    assert len(pledges) > 10 and len(receipts) > 5 and len(work) > 20
    before = kept(project.id)
    assert any(kind == "confirmed_hours" and amount > 0
               for (_user, kind, _key), amount in before[0].items())
    assert services.rebuild_from_journal(db.session, project)[0] > 100
    db.session.commit()
    assert kept(project.id) == before
