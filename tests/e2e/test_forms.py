"""The new-proposal form in a real browser, with scripts and without
(issue 17): only the chosen kind's fields show, the preview works, and
Enter in the title still opens the proposal."""

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import create_project
from tests.e2e.test_first_steps import register


def test_the_kind_switches_fields_in_place_with_scripts(live_server, browser_factory):
    page = browser_factory()
    register(page, live_server, "rosa")
    create_project(page, "Tool library", "tools")
    page.goto(live_server + "/projects/tools/proposals/new")
    branch = page.get_by_label("Branch to merge")
    licence = page.get_by_label("New licence (SPDX identifier)")
    expect(branch).to_be_visible()
    expect(licence).to_be_hidden()
    expect(page.get_by_role("button", name="Show this kind's fields")).to_be_hidden()
    height = page.evaluate("document.querySelector('form.proposal-form').offsetHeight")
    print(f"new-proposal form height, merge chosen, 1280 px: {height} px; page "
          f"{page.evaluate('document.documentElement.scrollHeight')} px")
    assert height < 1400, height

    page.get_by_label("Change the licence").check()
    expect(licence).to_be_visible()
    expect(branch).to_be_hidden()
    expect(page).to_have_url(live_server + "/projects/tools/proposals/new?kind=license")
    # The licence list is the open licences, as at project creation.
    assert page.locator("#licence-choices option[value='CC-BY-SA-4.0']").count() == 1
    licence.fill("CC-BY-SA-4.0")
    page.get_by_label("Why, and what it changes").fill("Share *alike*, please.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#body-preview em")).to_have_text("alike")
    expect(page).to_have_url(live_server + "/projects/tools/proposals/new?kind=license")
    screenshot(page, "forms-proposal-licence-js")
    page.get_by_label("Title").fill("Relicense under CC-BY-SA")
    page.get_by_label("Title").press("Enter")  # the default button opens, not Preview
    expect(page.get_by_text("Opened proposal #1")).to_be_visible()
    expect(page.get_by_text("Relicenses Tool library")).to_be_visible()
    # A comment previews in place too; the stance keeps its reason for a change.
    comments = page.locator("#comments")
    comments.get_by_label("Comment").fill("Agreed, *share alike*.")
    comments.get_by_role("button", name="Preview").click()
    expect(page.locator("#comment-body-preview em")).to_have_text("share alike")
    page.get_by_label("Object (needs a reason)").check()
    page.get_by_label("Reason", exact=True).fill("Ask the other authors first")
    page.get_by_role("button", name="Take my stance").click()
    expect(page.get_by_label("Reason", exact=True)).to_have_value("Ask the other authors first")


def test_the_kind_is_chosen_first_without_scripts(live_server, browser_factory):
    page = browser_factory(js=False)
    register(page, live_server, "sami")
    create_project(page, "Seed swap", "swap")
    page.goto(live_server + "/projects/swap/proposals/new")
    expect(page.get_by_label("Branch to merge")).to_be_visible()
    expect(page.get_by_label("Input number")).to_be_hidden()
    page.get_by_label("A decision (free text)").check()
    page.get_by_label("Title").fill("Swap on the first Sunday")
    page.get_by_role("button", name="Show this kind's fields").click()
    expect(page.get_by_label("Branch to merge")).to_be_hidden()
    expect(page.get_by_label("Title")).to_have_value("Swap on the first Sunday")
    page.get_by_label("Why, and what it changes").fill("Once a **month**.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#body-preview strong")).to_have_text("month")
    expect(page.get_by_label("Title")).to_have_value("Swap on the first Sunday")
    screenshot(page, "forms-proposal-decision-nojs")
    page.get_by_role("button", name="Open the proposal").click()
    expect(page.get_by_text("Opened proposal #1")).to_be_visible()
