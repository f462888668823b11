"""Recurring needs (issue 20) through the services, the pages and the API,
on SQLite and PostgreSQL: rent needed each month reopens each month the
pledges do not cover, on the needs board and the project's home; the
ledger and the input page say how far the pledges cover; the journal
carries it and `ledger verify` folds it."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import board, recurring, rules, services
from commons.ledger.models import Input
from commons.ledger.queries import open_clause
from commons.projects import home
from tests.ledger.test_api import api  # noqa: F401 (the fixture)
from tests.ledger.test_verify import tamper, verify

RENT = {"title": "Workshop rent", "kind": "space", "quantity": "500", "unit": "EUR",
        "unit_cost": None, "currency": None, "recurs": "monthly"}


def rent(ledger, **extra):
    """500 EUR a month from the clock's month (March 2026) unless told."""
    return ledger.need(**{**RENT, **extra})


def open_numbers(ledger, today) -> list[int]:
    """The project's needs open in *today*'s month, by the SQL the board uses."""
    return list(db.session.scalars(sa.select(Input.number).where(
        Input.project_id == ledger.project.id, open_clause(today)).order_by(Input.number)))


def test_a_recurring_need_is_in_its_creation_entry_and_is_open_in_its_first_month(ledger):
    need = rent(ledger)
    assert (need.recurs, need.starts.isoformat(), need.needed) == \
        ("monthly", "2026-03-01", Decimal("500.00"))
    data = services.entry_data(services.get_entry(db.session, ledger.project, need.seq))
    assert (data["recurs"], data["starts"]) == ("monthly", "2026-03")
    assert data["approval"] == "pending"  # one month's 500 EUR is above the 100 EUR threshold
    seen = recurring.as_of(need, ledger.clock().date())
    assert seen.open and seen.still_needed == Decimal("500.00")
    assert seen.coverage == "not covered yet: March 2026 is its first month"
    assert open_numbers(ledger, ledger.clock().date()) == [1]
    # A need needed once carries no recurrence in its entry.
    once = ledger.need()
    assert "recurs" not in services.entry_data(services.get_entry(db.session, ledger.project,
                                                                  once.seq))


def test_pledges_cover_months_ahead_and_the_need_reopens_when_they_run_out(ledger):
    need = rent(ledger, quantity="100")  # at the threshold: approved, takes receipts
    project, clock = ledger.project, ledger.clock
    assert need.approved
    # Pledges are not capped at one month: 250 EUR covers March, April and half of May.
    services.pledge(db.session, project, ledger.cy, 1, "250", now=clock())
    services.record_receipt(db.session, project, ledger.bo, 1, "50", "a donor",
                            evidence_url="https://example.org/r.pdf", pledge_seq=None,
                            now=clock())
    db.session.commit()
    need = services.get_input(db.session, project, 1)
    assert need.uncovered_from.isoformat() == "2026-06-01"   # 300 EUR: three months
    march = recurring.as_of(need, datetime(2026, 3, 20, tzinfo=UTC).date())
    assert not march.open and march.status == "covered"
    assert march.coverage == "covered through May 2026 (2 months ahead)"
    assert open_numbers(ledger, march.today) == []
    may = datetime(2026, 5, 31, tzinfo=UTC).date()
    assert open_numbers(ledger, may) == []
    june = datetime(2026, 6, 1, tzinfo=UTC).date()
    seen = recurring.as_of(need, june)
    assert seen.open and seen.status == "approved"
    assert (seen.needed, seen.still_needed) == (Decimal("400.00"), Decimal("100.00"))
    assert seen.coverage == "covered through May 2026 (1 month behind)"
    assert open_numbers(ledger, june) == [1]
    # Two months later, with nothing new: three months behind, 300 EUR still needed.
    august = datetime(2026, 8, 2, tzinfo=UTC).date()
    assert recurring.as_of(need, august).still_needed == Decimal("300.00")
    # Withdrawing the pledge's rest uncovers the months it held.
    pledge = next(p for p in need.pledges if p.pledger_id == ledger.cy.id)
    services.withdraw_pledge(db.session, project, ledger.cy, pledge.seq, clock())
    db.session.commit()
    assert services.get_input(db.session, project, 1).uncovered_from.isoformat() == \
        "2026-03-01"
    assert open_numbers(ledger, march.today) == [1]


def test_the_sql_and_the_rule_agree_on_what_is_open_in_each_month(ledger):
    project, clock = ledger.project, ledger.clock
    rent(ledger, quantity="100")                                       # 1: from March
    rent(ledger, quantity="100", title="Hosting", starts="2026-05")    # 2: from May
    rent(ledger, quantity="100", title="Insurance", starts="2025-12")  # 3: behind already
    ledger.need()                                                      # 4: once
    services.pledge(db.session, project, ledger.cy, 1, "200", now=clock())
    services.pledge(db.session, project, ledger.cy, 2, "100", now=clock())
    services.pledge(db.session, project, ledger.cy, 3, "300", now=clock())
    db.session.commit()
    needs = list(db.session.scalars(sa.select(Input).where(Input.project_id == project.id)
                                    .order_by(Input.number)))
    for month in range(1, 13):
        today = datetime(2026, month, 10, tzinfo=UTC).date()
        by_rule = [need.number for need in needs
                   if rules.is_open(need.closed, recurring.as_of(need, today).still_needed)]
        assert open_numbers(ledger, today) == by_rule, today


def test_the_board_and_the_home_hold_their_figures_as_the_months_turn(ledger):
    project, clock = ledger.project, ledger.clock
    rent(ledger, quantity="100")
    services.pledge(db.session, project, ledger.cy, 1, "150", now=clock())  # March, half April
    db.session.commit()
    march = clock().date()
    page = board.board_page(db.session, march)
    assert page.needs == 0 and page.rows == []
    found = home.project_home(db.session, project, None, march)
    assert (found.open_needs, found.needs) == (0, [])
    april = datetime(2026, 4, 3, tzinfo=UTC).date()
    page = board.board_page(db.session, april)
    assert (page.needs, page.resources) == (1, 1)
    [(need, _)] = page.rows
    assert need.still_needed == Decimal("50.00")
    assert page.still_needed == {need.resource: {"EUR": Decimal("50.00")}}
    assert page.scales == {"EUR": Decimal("200.00")}  # March and April needed
    found = home.project_home(db.session, project, None, april)
    assert found.open_needs == 1
    assert [n.still_needed for n in found.needs] == [Decimal("50.00")]
    assert found.bars[1].needed == Decimal("200.00")


def test_verify_folds_recurring_needs_and_catches_a_tampered_month(ledger):
    project, clock = ledger.project, ledger.clock
    rent(ledger, quantity="100")
    services.pledge(db.session, project, ledger.cy, 1, "300", now=clock())
    db.session.commit()
    services.record_receipt(db.session, project, ledger.bo, 1, "100", "cy", pledge_seq="auto",
                            evidence_url="https://example.org/r.pdf", now=clock())
    db.session.commit()
    assert verify(ledger).exit_code == 0
    # Both walks: ranges of one entry put the chain in a second process.
    for split in (True, False):
        result = services.verify(db.session, project, batch=1, split=split)
        assert result.intact and result.split == split
    tamper(ledger, "UPDATE ledger_inputs SET uncovered_from = :month "
                   "WHERE project_id = :project AND number = 1", month="2027-01-01")
    result = verify(ledger)
    assert result.exit_code == 1
    assert "the stored balance of input #1 differs" in result.output
    db.session.commit()
    for split in (True, False):
        assert not services.verify(db.session, project, batch=1, split=split).intact


def test_verify_catches_a_need_made_recurring_behind_the_journal(ledger):
    ledger.need()
    db.session.commit()
    tamper(ledger, "UPDATE ledger_inputs SET recurs = 'monthly' "
                   "WHERE project_id = :project AND number = 1")
    assert verify(ledger).exit_code == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"recurs": "weekly"}, "recurs", "monthly"),
    ({"starts": "2026-13"}, "starts", "YYYY-MM"),
    ({"starts": "2024-01"}, "starts", "at most 12 months back"),
    ({"needed_by": "2026-04-01"}, "needed_by", "no needed-by date"),
    ({"recurs": None, "starts": "2026-05"}, "starts", "for a need that recurs"),
])
def test_a_bad_recurrence_is_refused_and_nothing_is_written(ledger, fields, field, message):
    from commons.problems import Invalid
    before = services.head(db.session, ledger.project)
    with pytest.raises(Invalid, match=message) as refused:
        rent(ledger, **fields)
    assert refused.value.field == field
    db.session.rollback()
    assert services.head(db.session, ledger.project) == before


# ---------------------------------------------------------------- API and exports

def test_the_api_records_a_recurring_need_and_answers_its_cover(api):  # noqa: F811
    created = api.ok("/inputs", "ada", {**RENT, "quantity": "100", "starts": "2026-03"})
    assert (created["recurs"], created["starts"], created["per_month"]) == \
        ("monthly", "2026-03", "100.00")
    assert created["entry"]["data"]["recurs"] == "monthly"
    api.ok("/inputs/1/pledges", "cy", {"quantity": "250"})
    answer = api.get("/inputs/1").get_json()
    assert (answer["covered_through"], answer["months_ahead"], answer["status"],
            answer["open"]) == ("2026-04", 1, "covered", False)
    assert answer["coverage"] == "covered through April 2026 (1 month ahead)"
    assert api.get("/inputs?open=true").get_json() == []
    api.refused("/inputs", "ada", 422, "monthly", field="recurs",
                json={**RENT, "recurs": "yearly"})
    exported = json.loads(api.get("/ledger.json").get_data(as_text=True))
    assert exported["inputs"][0]["recurs"] == "monthly"
    assert exported["inputs"][0]["covered_through"] == "2026-04"
    lines = api.get("/inputs.csv").get_data(as_text=True).splitlines()
    assert "recurs,starts,covered_through" in lines[0]
    assert ",monthly,2026-03,2026-04," in lines[1]
    jsonld = api.get("/ledger.jsonld").get_data(as_text=True)
    assert '"commons:recurs":"monthly"' in jsonld.replace(" ", "")


# ---------------------------------------------------------------- pages

def test_the_pages_say_how_far_the_pledges_cover(make_app, clock):
    from tests.ledger.test_pages import add_need, html_of, on_input, people_of
    app = make_app(CLOCK=clock)
    people = people_of(app)
    response = add_need(people.ada, title="Workshop rent", kind="space", quantity="80",
                        unit="EUR", unit_cost="", currency="", needed_by="",
                        recurs="monthly", starts="2026-03")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert on_input(people.cy, "pledge", {"quantity": "240"}).status_code == 302
    page = html_of(people.anon, "/projects/dryer/inputs/1")
    assert "covered through May 2026 (2 months ahead)" in page
    ledger_page = html_of(people.anon, "/projects/dryer/ledger")
    assert "covered through May 2026 (2 months ahead)" in ledger_page
    assert "Workshop rent" not in html_of(people.anon, "/needs")
    # A bad start month comes back with the form filled in.
    refused = add_need(people.ada, title="Hosting", kind="service", quantity="10",
                       unit="EUR", unit_cost="", currency="", needed_by="",
                       recurs="monthly", starts="June")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "YYYY-MM" in text and 'value="Hosting"' in text
    clock.now = datetime(2026, 6, 2, tzinfo=UTC)
    assert "Workshop rent" in html_of(people.anon, "/needs")
    assert "Workshop rent" in html_of(people.anon, "/projects/dryer")
    assert "1 month behind" in html_of(people.anon, "/projects/dryer/inputs/1")
