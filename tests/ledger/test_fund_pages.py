"""Funds, expense claims and payouts through the real pages and forms (with
their CSRF tokens): a member claims on an input's page with an evidence
file, a treasurer named by a policy proposal pays it on the claims page,
the ledger shows the funds per currency and the member's page what the
project owes them and paid."""

import hashlib
import io
import re
from html import unescape

import pytest

from commons import paging
from tests.conftest import worker_decides
from tests.ledger.test_pages import add_need, error_text, head, html_of, on_input, people_of

SCAN = b"%PDF-1.4 the shop's invoice for 4 kg of filament"


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


@pytest.fixture
def people(app):
    return people_of(app)


def claim_form(browser, data, number=2):
    return browser.submit(f"/projects/dryer/inputs/{number}",
                          {f"claim-{key}": value for key, value in data.items()},
                          action=f"/projects/dryer/inputs/{number}/claims")


def fund_row(html, currency="EUR"):
    match = re.search(rf'<tr id="fund-{currency}"><th scope="row">{currency}</th>\s*'
                      r'<td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>\s*'
                      r'<td class="num">([^<]+)</td>', html)
    assert match, "no funds row for " + currency
    return match.groups()


def test_a_member_claims_and_the_treasurer_pays_through_the_pages(app, people, clock):
    ada, bo, anon = people.ada, people.bo, people.anon
    assert add_need(ada, title="Grant", kind="money", quantity="90", unit="EUR", unit_cost="",
                    currency="").status_code == 302
    assert on_input(ada, "receipt", {"quantity": "90", "provider": "City council",
                                     "pledge": ""}).status_code == 302
    assert add_need(ada).status_code == 302  # #2: 20 kg at 2.50 EUR
    assert on_input(bo, "receipt", {"quantity": "4", "provider": "bo", "pledge": ""},
                    number=2).status_code == 302
    assert fund_row(html_of(anon, "/projects/dryer/ledger")) == ("90.00", "0.00", "90.00")

    # Above what arrived is worth: refused, the form comes back filled in.
    before = head(app)
    refused = claim_form(bo, {"amount": "10.50", "currency": "EUR",
                              "evidence_url": "https://example.org/invoice.pdf",
                              "description": "4 kg from the shop"})
    assert refused.status_code == 422
    text = error_text(refused)
    assert "worth 10.00 EUR not claimed yet" in text
    assert 'value="10.50"' in text and "4 kg from the shop" in text
    assert head(app) == before

    made = claim_form(bo, {"amount": "10.00", "currency": "EUR",
                           "evidence_file": (io.BytesIO(SCAN), "invoice.pdf", "application/pdf")})
    assert made.status_code == 302, error_text(made)
    page = html_of(bo, "/projects/dryer/inputs/2")
    assert "Expense claim #5 (10.00 EUR) is recorded" in page
    assert "Claim #5: 10.00 EUR to bo" in page

    # Nobody is a treasurer yet: bo's payout is refused with why.
    paid = bo.submit("/projects/dryer/ledger/claims", {"payout-5-method": "cash"},
                     action="/projects/dryer/claims/5/payouts")
    assert paid.status_code == 403 and "Only a treasurer" in error_text(paid)

    opened = ada.submit("/projects/dryer/proposals/new", {
        "kind": "policy", "title": "ada keeps the money", "treasurer_grant": "ada"})
    assert opened.status_code == 302, error_text(opened)
    clock.advance(days=4)
    worker_decides(app)
    assert 'ada</a> <span class="badge">treasurer</span>' in html_of(anon, "/projects/dryer")

    claims = html_of(ada, "/projects/dryer/ledger/claims")
    assert 'id="payout-form-5"' in claims
    assert 'id="payout-form-5"' not in html_of(bo, "/projects/dryer/ledger/claims")
    paid = ada.submit("/projects/dryer/ledger/claims", {
        "payout-5-method": "bank transfer", "payout-5-reference": "SEPA 2026-03-05",
        "payout-5-date": ""}, action="/projects/dryer/claims/5/payouts")
    assert paid.status_code == 302, error_text(paid)
    claims = html_of(anon, "/projects/dryer/ledger/claims")
    assert "by bank transfer, reference SEPA 2026-03-05" in claims
    assert fund_row(claims) == ("90.00", "10.00", "80.00")
    again = ada.submit("/projects/dryer/ledger/claims", {"payout-5-method": "cash"},
                       action="/projects/dryer/claims/5/payouts")
    assert again.status_code == 409 and "paid already" in error_text(again)

    profile = error_text(anon.client.get("/users/bo"))
    assert "Expenses: owed and paid" in profile
    assert re.search(r"Dryer</a></th>\s*<td class=\"num\">—</td>\s*<td class=\"num\">—</td>\s*"
                     r"<td class=\"num\">10.00 EUR</td>", profile)
    # The evidence file is served for the claim's entry.
    served = anon.client.get(f"/projects/dryer/evidence/{hashlib.sha256(SCAN).hexdigest()}")
    assert served.status_code == 200 and served.data == SCAN
    served.close()


def test_the_journal_says_what_claims_and_payouts_did(app, people, clock):
    test_a_member_claims_and_the_treasurer_pays_through_the_pages(app, people, clock)
    journal = re.sub(r"<[^>]+>", "",
                     error_text(people.anon.client.get("/projects/dryer/ledger/journal")))
    assert "bo claims 10.00 EUR paid on 2026-03-01 for input #2 (PLA filament)" in journal
    assert "approved at once (expense claim #5)" in journal
    assert ("Paid 10.00 EUR to bo on 2026-03-05 by bank transfer (reference SEPA 2026-03-05), "
            "settling expense claim #5 for input #2 (PLA filament)") in journal


def test_a_claim_above_the_threshold_links_its_proposal(app, people, clock):
    ada, bo = people.ada, people.bo
    assert add_need(ada, title="Kiln", kind="equipment", quantity="2", unit="piece",
                    unit_cost="60").status_code == 302  # 120 EUR: proposal #1 decides
    clock.advance(days=4)
    worker_decides(app)
    assert on_input(bo, "receipt", {"quantity": "2", "provider": "bo",
                                    "pledge": ""}).status_code == 302
    made = claim_form(bo, {"amount": "120", "currency": "EUR",
                           "evidence_url": "https://example.org/kiln.pdf"}, number=1)
    assert made.status_code == 302, error_text(made)
    page = html_of(bo, "/projects/dryer/inputs/1")
    assert "above the approval threshold, so a proposal asks the members first" in page
    assert "awaiting approval" in html_of(people.anon, "/projects/dryer/ledger/claims")
    proposal = html_of(people.anon, "/projects/dryer/proposals/2")
    assert ('expense claim #4</a> on <a href="/projects/dryer/inputs/1">input #1</a>'
            in proposal)


def test_the_project_home_links_a_claim_in_its_recent_activity(app, people, clock):
    # The home's activity is plain values, not journal entries: the claim's
    # link still carries the entry's number.
    test_a_member_claims_and_the_treasurer_pays_through_the_pages(app, people, clock)
    activity = html_of(people.anon, "/projects/dryer").split('id="activity-heading"', 1)[1]
    link = f"/projects/dryer/ledger/claims?cursor={paging.encode((5, -1))}#claim-5"
    assert f'approved at once (<a href="{link}">expense claim #5</a>)' in activity
    assert 'id="claim-5"' in html_of(people.anon, link.split("#")[0])


def test_the_claims_page_pages_newest_first_and_links_land_on_the_claim(
        app, people, monkeypatch):
    ada, bo, anon = people.ada, people.bo, people.anon
    add_need(ada, title="Grant", kind="money", quantity="90", unit="EUR", unit_cost="",
             currency="")
    on_input(ada, "receipt", {"quantity": "90", "provider": "City council", "pledge": ""})
    add_need(ada)  # #2: 20 kg at 2.50 EUR
    on_input(bo, "receipt", {"quantity": "4", "provider": "bo", "pledge": ""}, number=2)
    for _ in range(3):  # entries 5, 6, 7
        made = claim_form(bo, {"amount": "1.00", "currency": "EUR", "description": "a spool",
                               "evidence_url": "https://example.org/receipt.pdf"})
        assert made.status_code == 302, error_text(made)
    monkeypatch.setattr("commons.ledger.funds.CLAIMS_PER_PAGE", 2)
    claim_ids = re.compile(r'<li id="claim-(\d+)">')
    first = html_of(anon, "/projects/dryer/ledger/claims")
    assert claim_ids.findall(first) == ["7", "6"] and "Newest claims" not in first
    older = re.search(r'<a href="([^"]+)" rel="next">Older claims</a>', first)
    second = html_of(anon, unescape(older.group(1)))
    assert claim_ids.findall(second) == ["5"] and 'rel="next"' not in second
    assert "Newest claims</a>" in second
    # The input's page shows its newest claims and says where the rest are.
    on_page = html_of(anon, "/projects/dryer/inputs/2")
    assert re.findall(r"Claim #(\d+): 1.00 EUR", on_page) == ["7", "6"]
    assert "the claims page</a> goes on from there" in on_page
    # Claim 5's entry in the journal links to the page that starts at it.
    journal = html_of(anon, "/projects/dryer/ledger/journal")
    link = re.search(r'<a href="([^"]+)">expense claim #5</a>', journal).group(1)
    assert unescape(link).endswith("#claim-5")
    assert claim_ids.findall(html_of(anon, unescape(link).split("#")[0])) == ["5"]
    for cursor in ("bm9wZQ", paging.encode([2**31, 0])):
        assert anon.client.get(f"/projects/dryer/ledger/claims?cursor={cursor}"
                               ).status_code == 400
    # A payout's or withdrawal's address opened with GET (a reload, a copied
    # link) lands on the page that starts at its claim.
    opened = bo.client.get("/projects/dryer/claims/5/withdrawal", follow_redirects=True)
    assert opened.status_code == 200
    assert opened.request.args.get("cursor") == paging.encode((5, -1))
    assert claim_ids.findall(opened.get_data(as_text=True)) == ["5"]
