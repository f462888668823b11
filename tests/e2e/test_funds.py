"""Funds, an expense claim and its payout as a collective meets them, in a
real browser against a real server: a 300 EUR grant arrives, a member who
bought filament claims it back with an evidence link, the members name a
treasurer by a policy proposal, the treasurer records the payout, and the
member's page shows what the project paid. The claim and payout pages pass
axe."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import problems_on
from tests.e2e.test_first_steps import register


def need(page, base, title, kind, quantity, unit, unit_cost=None):
    page.goto(f"{base}/projects/workshop/inputs/new")
    page.get_by_label("What is needed").fill(title)
    page.get_by_label("Kind").select_option(kind)
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("Unit", exact=True).select_option(unit)
    if unit_cost:
        page.get_by_label("Estimated cost of one unit").fill(unit_cost)
        page.get_by_label("Currency of the cost").select_option("EUR")
    page.get_by_role("button", name="Add the need").click()
    expect(page.locator(".flash")).to_contain_text(f"({title}) is approved")


def receipt(page, quantity, provider):
    page.get_by_text("Record a receipt").click()
    form = page.locator("#receipt-form")
    form.get_by_label("Quantity received").fill(quantity)
    form.get_by_label("Against pledge").select_option("")
    form.get_by_label("Provider").fill(provider)
    form.get_by_role("button", name="Record the receipt").click()
    expect(page.get_by_text("Receipt recorded as entry")).to_be_visible()


def test_a_member_claims_an_expense_and_the_treasurer_pays_it(live_server, browser_factory,
                                                              make_app):
    ana = browser_factory()
    register(ana, live_server, "ana")
    ana.get_by_role("link", name="New project").click()
    ana.get_by_label("Name").fill("Workshop")
    ana.get_by_label("Slug").fill("workshop")
    ana.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    ana.get_by_label("Open: whoever joins is a member at once").check()
    ana.get_by_text("Review window and approval threshold").click()
    ana.get_by_label("Approval threshold").fill("300")
    ana.get_by_label("Currency", exact=True).select_option("EUR")
    ana.get_by_role("button", name="Create project").click()
    expect(ana).to_have_url(live_server + "/projects/workshop")

    need(ana, live_server, "Grant from the city", "money", "300", "EUR")
    receipt(ana, "300", "City council")
    need(ana, live_server, "PLA filament", "material", "20", "kg", "2.50")  # input #2

    ben = browser_factory(width=375, height=800)
    register(ben, live_server, "ben")
    ben.goto(live_server + "/projects/workshop")
    ben.get_by_role("button", name="Join Workshop").click()
    ben.goto(live_server + "/projects/workshop/inputs/2")
    receipt(ben, "4", "ben")
    ben.get_by_text("Claim what you paid").click()
    claim = ben.locator("#claim-form")
    # More than the 4 kg that arrived are worth (10.00 EUR): refused, kept.
    claim.get_by_label("Amount you paid").fill("12")
    claim.get_by_label("Evidence link").fill("https://example.org/invoice-4kg.pdf")
    claim.get_by_role("button", name="Claim the expense").click()
    expect(ben.get_by_text("worth 10.00 EUR not claimed yet")).to_be_visible()
    claim = ben.locator("#claim-form")
    expect(claim.get_by_label("Evidence link")).to_have_value(
        "https://example.org/invoice-4kg.pdf")
    claim.get_by_label("Amount you paid").fill("10.00")
    claim.get_by_role("button", name="Claim the expense").click()
    expect(ben.locator(".flash")).to_contain_text("Expense claim #5 (10.00 EUR) is recorded")
    assert problems_on(ben, "input with a claim (phone)") == []

    ana.goto(live_server + "/projects/workshop/proposals/new?kind=policy")
    ana.get_by_label("Title").fill("Ana keeps the money")
    ana.get_by_label("Name a treasurer (username)").fill("ana")
    ana.get_by_role("button", name="Open the proposal").click()
    expect(ana.get_by_text("Opened proposal #1")).to_be_visible()
    app = make_app()
    later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    ticked = app.test_cli_runner().invoke(args=["governance", "tick", "--now", later])
    assert "passed" in ticked.output, ticked.output

    ana.goto(live_server + "/projects/workshop")
    expect(ana.locator("ul.members")).to_contain_text("ana treasurer")
    ana.goto(live_server + "/projects/workshop/ledger/claims")
    assert problems_on(ana, "claims with a payout form") == []
    ana.get_by_text("Record the payout of claim #5").click()
    payout = ana.locator("#payout-form-5")
    payout.get_by_label("How it was paid").select_option("bank transfer")
    payout.get_by_label("Reference").fill("SEPA 0042")
    payout.get_by_role("button", name="Record payout of claim #5").click()
    expect(ana.locator(".flash")).to_contain_text("Claim #5 is paid: 10.00 EUR to ben")
    expect(ana.locator("#fund-EUR")).to_contain_text("290.00")
    screenshot(ana, "funds-claims-paid")

    ben.goto(live_server + "/users/ben")
    expect(ben.locator("table.owed")).to_contain_text("10.00 EUR")
    assert problems_on(ben, "profile with expenses (phone)") == []
