"""What a newcomer trying the demo found: an input's balance, the ledger's
totals, the needs board and the API must agree on what is still open; a
fulfilled input takes no pledge; a receipt delivers its provider's pledge;
a pending input takes no receipt."""

import re
from decimal import Decimal

from commons.ledger import rules
from tests.conftest import worker_decides
from tests.ledger.test_api import FILAMENT, api  # noqa: F401 (the fixture)
from tests.ledger.test_pages import (  # noqa: F401 (the fixtures)
    add_need,
    app,
    error_text,
    html_of,
    on_input,
    people,
    totals,
)

# ---------------------------------------------------------------- what is open

def test_open_is_what_the_balance_still_needs():
    """The one definition: not closed, and something nobody has delivered
    or pledged yet. Pending inputs are open (pledges are welcome while the
    members decide); covered and fulfilled ones are not."""
    def need(needed="20", received="0", pledged="0", approved=True, closed=False):
        balance = rules.InputBalance(number=1, seq=1, title="PLA", kind="material", unit="kg",
                                     needed=Decimal(needed), unit_cost=None,
                                     currency=None, needed_by=None, description="",
                                     approved=approved, closed=closed,
                                     received=Decimal(received))
        if pledged != "0":
            balance.pledges[2] = rules.PledgeBalance(2, 1, "cy", Decimal(pledged))
        return balance

    assert need().open
    assert need(approved=False).open
    assert need(received="5", pledged="5").open
    assert not need(received="15", pledged="5").open          # covered
    assert not need(received="20").open                      # fulfilled
    assert not need(approved=False, pledged="20").open       # pending, pledged in full
    assert not need(closed=True).open
    assert rules.is_open(closed=False, still_needed=Decimal("0.5"))
    assert not rules.is_open(closed=False, still_needed=Decimal("0.000"))


def test_the_ledger_totals_the_needs_board_and_the_api_agree_with_the_balances(app, people,
                                                                               client):
    ada, cy, anon = people.ada, people.cy, people.anon
    add_need(ada)                                                   # 20 kg x 2.50 EUR
    add_need(ada, title="Plywood 12 mm", quantity="2", unit="m2", unit_cost="30.00")
    add_need(ada, title="Solar glass", quantity="1", unit="piece", unit_cost="40.00")
    # #1 arrives in full, #2 is pledged in full, #3 (one piece) is untouched.
    assert on_input(cy, "pledge", {"quantity": "20"}).status_code == 302
    assert on_input(ada, "receipt", {"quantity": "20", "pledge": "4",
                                     "date": "2026-03-01"}).status_code == 302
    assert on_input(cy, "pledge", {"quantity": "2"}, number=2).status_code == 302
    ledger = html_of(anon, "/projects/dryer/ledger")
    still = re.findall(r'<td class="num">([^<]+)</td>\s*<td>(kg|m2|piece)</td>', ledger)
    assert still == [("0", "kg"), ("0", "m2"), ("1", "piece")]
    # Only the glass is still needed: 40 EUR, not the 150 EUR of all three.
    assert totals(ledger) == ("40.00", "60.00", "50.00")

    board = html_of(anon, "/needs")
    assert "Solar glass" in board
    assert "PLA filament" not in board and "Plywood" not in board

    listed = client.get("/api/v1/projects/dryer/inputs").get_json()
    assert [(i["number"], i["open"]) for i in listed] == [(1, False), (2, False), (3, True)]
    only_open = client.get("/api/v1/projects/dryer/inputs?open=true").get_json()
    assert [i["number"] for i in only_open] == [3]


# ---------------------------------------------------------------- no pledge to a met need

def test_a_fulfilled_input_offers_no_pledge_and_refuses_one(app, people):
    ada, cy = people.ada, people.cy
    add_need(ada, title="Plywood 12 mm", quantity="3", unit="m2", unit_cost="", currency="")
    assert on_input(ada, "receipt", {"quantity": "3", "provider": "Timber yard"}).status_code \
        == 302
    page = html_of(cy, "/projects/dryer/inputs/1")
    assert 'id="pledge-form"' not in page and "0 m2 is still needed" not in page
    assert "has arrived in full; nothing more is needed" in error_text_of(page)
    late = on_input(cy, "pledge", {"quantity": "1"})
    assert late.status_code == 409
    assert "Input #1 (Plywood 12 mm) has arrived in full" in error_text(late)
    assert "No pledges yet." in html_of(cy, "/projects/dryer/inputs/1")


def test_a_need_pledged_in_full_offers_no_pledge_and_the_api_says_why(api):
    api.ok("/inputs", "ada", FILAMENT)
    api.ok("/inputs/1/pledges", "cy", {"quantity": "20"})
    body = api.refused("/inputs/1/pledges", "bo", 409, "is pledged in full",
                       json={"quantity": "1"})
    assert "withdrawn" in body["error"]  # what would open it again
    api.ok("/inputs/1/receipts", "ada", {"quantity": "20", "pledge": 2})
    api.refused("/inputs/1/pledges", "bo", 409, "Input #1 (PLA filament) has arrived in full",
                json={"quantity": "1"})


def error_text_of(html: str) -> str:
    return re.sub(r"\s+", " ", html)


# ---------------------------------------------------------------- receipts wait for approval

def test_a_pending_input_takes_no_receipt_until_it_is_approved(app, people, clock):
    ada = people.ada
    add_need(ada, unit_cost="24.50")  # 490 EUR > 100 EUR: pending, proposal #1 decides
    page = html_of(ada, "/projects/dryer/inputs/1")
    assert 'id="receipt-form"' not in page
    assert "Receipts are recorded once it is approved" in error_text_of(page)
    early = on_input(ada, "receipt", {"quantity": "5", "provider": "Hackerspace shop"})
    assert early.status_code == 409
    assert "Input #1 (PLA filament) is pending approval" in error_text(early)
    assert "<dt>Received</dt><dd>0 kg</dd>" in html_of(ada, "/projects/dryer/inputs/1")

    clock.advance(days=4)  # nobody objected: proposal #1 passes at its close
    worker_decides(app)
    assert 'id="receipt-form"' in html_of(ada, "/projects/dryer/inputs/1")
    on_time = on_input(ada, "receipt", {"quantity": "5", "provider": "Hackerspace shop"})
    assert on_time.status_code == 302, error_text(on_time)


def test_the_api_refuses_a_receipt_on_a_pending_input(api):
    api.ok("/inputs", "ada", {**FILAMENT, "unit_cost": "24.50"})
    api.refused("/inputs/1/receipts", "ada", 409, "Input #1 (PLA filament) is pending approval",
                json={"quantity": "5", "provider": "Hackerspace shop"})


# ---------------------------------------------------------------- a receipt delivers the pledge

def selected_option(html: str, name: str) -> str:
    """The value a browser sends for select *name*: the selected option, or
    the first."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r'<option([^>]*)value="([^"]*)"([^>]*)>', select)
    chosen = [value for before, value, after in options if "selected" in before + after]
    return (chosen or [options[0][1]])[0]


def test_a_receipt_from_a_pledger_delivers_their_pledge_unless_told_otherwise(app, people):
    ada, bo, cy = people.ada, people.bo, people.cy
    add_need(ada)
    assert on_input(cy, "pledge", {"quantity": "5"}).status_code == 302       # pledge #2
    page = html_of(ada, "/projects/dryer/inputs/1")
    # ada records cy's delivery as a person would: quantity and provider, and the
    # pledge select left as it comes.
    received = on_input(ada, "receipt", {"quantity": "5", "provider": "cy",
                                         "pledge": selected_option(page, "receipt-pledge")})
    assert received.status_code == 302, error_text(received)
    page = error_text_of(html_of(ada, "/projects/dryer/inputs/1"))
    assert "<td>delivered</td>" in page and "to come" not in page
    assert "<dt>Pledged, not yet received</dt><dd>0 kg</dd>" in page
    assert "<dt>Received</dt><dd>5 kg</dd>" in page
    assert "<dt>Still needed</dt><dd>15 kg</dd>" in page

    # A member who pledged finds their own pledge chosen when they record it.
    assert on_input(bo, "pledge", {"quantity": "3"}).status_code == 302       # pledge #4
    assert selected_option(html_of(bo, "/projects/dryer/inputs/1"), "receipt-pledge") == "4"
    # Choosing "None" records a receipt against no pledge, even from the pledger.
    none = on_input(ada, "receipt", {"quantity": "1", "provider": "bo", "pledge": ""})
    assert none.status_code == 302, error_text(none)
    assert "#4 by bo: 3 kg to come" in html_of(ada, "/projects/dryer/inputs/1")


def test_the_api_applies_the_providers_pledge_when_pledge_is_left_out(api):
    api.ok("/inputs", "ada", FILAMENT)
    api.ok("/inputs/1/pledges", "cy", {"quantity": "5"})                      # pledge #2
    auto = api.ok("/inputs/1/receipts", "ada", {"quantity": "5", "provider": "cy"})
    assert auto["data"]["pledge"] == 2 and auto["data"]["provider_user"] == "cy"
    assert auto["balance"]["pledged"] == "0.000"
    assert auto["balance"]["pledges"][0]["received"] == "5.000"

    api.ok("/inputs/1/pledges", "cy", {"quantity": "2"})                      # pledge #4
    none = api.ok("/inputs/1/receipts", "ada", {"quantity": "1", "provider": "cy",
                                                "pledge": None})
    assert none["data"]["pledge"] is None
    assert none["balance"]["pledged"] == "2.000"
    shop = api.ok("/inputs/1/receipts", "ada", {"quantity": "1", "provider": "A shop"})
    assert shop["data"]["pledge"] is None and shop["balance"]["pledged"] == "2.000"

    described = api.client.get("/api/v1/openapi.json").get_json()
    receipt = described["components"]["schemas"]["ReceiptCreate"]["properties"]["pledge"]
    assert "Left out" in receipt["description"] and "null" in receipt["description"]
