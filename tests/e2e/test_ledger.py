"""The inputs ledger as a new user meets it, in a real browser against a
real server: add a need, pledge from another account, record its receipt
with an evidence link, watch the chart and totals change, find the need on
the needs board, download the exports, and verify the chain with the CLI."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, screenshot
from tests.e2e.test_first_steps import register


def totals(page) -> list[str]:
    return page.locator("table.totals tbody tr").first.locator("th, td").all_inner_texts()


def test_a_need_is_pledged_received_charted_boarded_exported_and_verified(
        live_server, browser_factory, database_uri, tmp_path):
    alice = browser_factory()
    register(alice, live_server, "alice")
    alice.get_by_role("link", name="New project").click()
    alice.get_by_label("Name").fill("Print shop")
    alice.get_by_label("Slug").fill("printshop")
    alice.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    # Inputs up to 500 EUR are approved at once, so what arrives can be recorded
    # today (a pending input takes receipts only once its proposal passes).
    alice.get_by_text("Review window and approval threshold").click()
    alice.get_by_label("Approval threshold").fill("500")
    alice.get_by_label("Currency", exact=True).select_option("EUR")
    alice.get_by_role("button", name="Create project").click()
    expect(alice).to_have_url(live_server + "/projects/printshop")

    alice.get_by_role("link", name="Ledger").click()
    expect(alice.get_by_text("Nothing is recorded yet")).to_be_visible()
    alice.get_by_role("link", name="Add the first need").click()
    alice.get_by_label("What is needed").fill("PLA filament")
    alice.get_by_label("Kind").select_option("material")
    alice.get_by_label("Quantity").fill("20")
    alice.get_by_label("Unit", exact=True).select_option("kg")
    alice.get_by_label("Estimated cost of one unit").fill("24.50")
    alice.get_by_label("Currency of the cost").select_option("EUR")
    alice.get_by_label("Description").fill("1.75 mm, for the first print run.")
    alice.get_by_role("button", name="Add the need").click()
    # 490 EUR is within the project's threshold (500 EUR): approved at once.
    expect(alice).to_have_url(live_server + "/projects/printshop/inputs/1")
    expect(alice.locator(".flash")).to_contain_text("Input #1 (PLA filament) is approved")
    expect(alice.locator(".status-approved").first).to_be_visible()

    bob = browser_factory(width=375, height=800)
    register(bob, live_server, "bob")
    bob.locator("summary", has_text="Menu").click()  # on a phone the header is a menu
    bob.get_by_role("link", name="Needs").click()
    expect(bob.get_by_role("heading", name="PLA filament")).to_be_visible()
    bob.get_by_role("link", name="#1 PLA filament").click()
    pledge = bob.locator("#pledge-form")
    pledge.get_by_label("Quantity").fill("5")
    pledge.get_by_label("Note").fill("One spool from my shelf")
    pledge.get_by_role("button", name="Pledge").click()
    expect(bob.get_by_text("You pledged 5 kg of PLA filament")).to_be_visible()
    expect(bob.get_by_role("button", name="Withdraw pledge #2")).to_be_visible()

    alice.goto(live_server + "/projects/printshop/ledger")
    assert totals(alice) == ["EUR", "367.50", "122.50", "0.00"]
    figures = alice.locator("svg.chart text.chart-figure")
    expect(figures).to_have_text(["0 of 20 kg received, 5 kg pledged"])

    alice.goto(live_server + "/projects/printshop/inputs/1")
    alice.get_by_text("Record a receipt").click()  # a closed <details>: no script needed
    receipt = alice.locator("#receipt-form")
    receipt.get_by_label("Quantity received").fill("5")
    receipt.get_by_label("Against pledge").select_option("2")
    receipt.get_by_label("Evidence link").fill("https://example.org/receipts/spool.jpg")
    receipt.get_by_role("button", name="Record the receipt").click()
    expect(alice.get_by_text("Receipt recorded as entry #3.")).to_be_visible()
    expect(alice.locator("dl.balance")).to_contain_text("Received5 kg")
    history = alice.locator("ol.journal li").first
    expect(history).to_contain_text("Received 5 kg for input #1 (PLA filament) from bob")
    expect(history.get_by_role("link", name="https://example.org/receipts/spool.jpg")) \
        .to_be_visible()
    screenshot(alice, "ledger-input-desktop")

    alice.get_by_role("link", name="back to the ledger").click()
    assert totals(alice) == ["EUR", "367.50", "0.00", "122.50"]
    expect(figures).to_have_text(["5 of 20 kg received, 0 kg pledged"])
    head = alice.locator("#head-hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    screenshot(alice, "ledger-desktop")

    bob.goto(live_server + "/projects/printshop/ledger")
    expect(bob.locator("#head-hash")).to_have_text(head)
    screenshot(bob, "ledger-phone")
    bob.goto(live_server + "/projects/printshop/inputs/1")
    expect(bob.get_by_text("delivered")).to_be_visible()
    screenshot(bob, "ledger-input-phone")

    # bob's own project needs filament too: the board shows what one need costs the other.
    bob.locator("summary", has_text="Menu").click()
    bob.get_by_role("link", name="New project").click()
    bob.get_by_label("Name").fill("Makerspace")
    bob.get_by_label("Slug").fill("makerspace")
    bob.get_by_label("Licence (SPDX identifier)").fill("CC-BY-SA-4.0")
    bob.get_by_role("button", name="Create project").click()
    bob.get_by_role("link", name="Ledger").click()
    bob.get_by_role("link", name="Add the first need").click()
    bob.get_by_label("What is needed").fill("PLA Filament")
    bob.get_by_label("Quantity").fill("8")
    bob.get_by_label("Unit", exact=True).select_option("kg")
    bob.get_by_label("Needed by").fill("2030-01-31")
    bob.get_by_role("button", name="Add the need").click()
    expect(bob.locator(".flash")).to_contain_text("Input #1 (PLA Filament) is approved")

    bob.locator("summary", has_text="Menu").click()
    bob.get_by_role("link", name="Needs").click()
    section = bob.locator("section.resource", has_text="PLA filament")
    expect(section).to_contain_text("2 projects need this: what one of them gets, the others "
                                    "wait for.")
    expect(section.get_by_role("link", name="Print shop")).to_be_visible()
    expect(section.get_by_role("link", name="Makerspace")).to_be_visible()
    expect(section.locator("tbody tr")).to_have_count(2)
    expect(section).to_contain_text("15 kg")
    expect(section).to_contain_text("8 kg")
    screenshot(bob, "needs-phone")
    alice.goto(live_server + "/needs")
    screenshot(alice, "needs-desktop")

    # The exports carry the head shown on the page.
    alice.goto(live_server + "/projects/printshop/ledger")
    downloads = {}
    for name in ("Journal (CSV)", "Inputs and balances (CSV)", "Ledger (JSON)",
                 "Valueflows (JSON-LD)"):
        with alice.expect_download() as started:
            alice.get_by_role("link", name=name).click()
        download = started.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        downloads[download.suggested_filename] = path.read_text(encoding="utf-8")
    assert sorted(downloads) == ["printshop-inputs.csv", "printshop-ledger.csv",
                                 "printshop-ledger.json", "printshop-ledger.jsonld"]
    assert all(head in text for text in downloads.values())
    assert "https://example.org/receipts/spool.jpg" in downloads["printshop-ledger.csv"]
    ledger = json.loads(downloads["printshop-ledger.json"])
    assert [entry["action"] for entry in ledger["entries"]] == ["need", "pledge", "receipt"]
    assert "https://w3id.org/valueflows/ont/vf#" in downloads["printshop-ledger.jsonld"]

    # The chain the pages show is the one the command checks.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": database_uri, "COMMONS_QUEUE_URL": "immediate"}
    verified = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "commons", "ledger", "verify",
         "printshop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stderr
    assert "3 entries, chain intact, balances match" in verified.stdout
    assert head in verified.stdout
