"""A cleaning rota as a collective meets it, in a real browser against a
real server: a member starts it from the division-of-labour page, two
members opt in and their turns alternate, a swap takes effect once the one
asked confirms it, a turn is marked done and its hours appear as care work
on the labour page. The rota and labour pages pass axe."""

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import problems_on
from tests.e2e.test_first_steps import register


def test_two_members_share_the_cleaning(live_server, browser_factory):
    ana = browser_factory()
    register(ana, live_server, "ana")
    ana.get_by_role("link", name="New project").click()
    ana.get_by_label("Name").fill("Workshop")
    ana.get_by_label("Slug").fill("workshop")
    ana.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    ana.get_by_label("Open: whoever joins is a member at once").check()
    ana.get_by_role("button", name="Create project").click()
    expect(ana).to_have_url(live_server + "/projects/workshop")

    ben = browser_factory(width=375, height=800)
    register(ben, live_server, "ben")
    ben.goto(live_server + "/projects/workshop")
    ben.get_by_role("button", name="Join Workshop").click()

    # From the division-of-labour page: a bad figure first, kept as typed.
    ana.goto(live_server + "/projects/workshop/contributors/labour")
    form = ana.locator("#rota-form")
    form.get_by_label("Task").fill("Clean the workshop")
    form.get_by_label("Every how many days").fill("0")
    form.get_by_label("About how many hours a turn").fill("2")
    form.get_by_role("button", name="Start the rota").click()
    expect(ana.get_by_text("from 1 to 366")).to_be_visible()
    form = ana.locator("#rota-form")
    expect(form.get_by_label("Task")).to_have_value("Clean the workshop")
    form.get_by_label("Every how many days").fill("7")
    form.get_by_role("button", name="Start the rota").click()
    expect(ana.locator(".flash")).to_contain_text("Started the rota “Clean the workshop”")
    rota_url = ana.url
    ana.get_by_role("button", name="Opt in").click()
    expect(ana.locator(".flash")).to_contain_text("You are in the rota")

    ben.goto(rota_url)
    ben.get_by_role("button", name="Opt in").click()
    # Neither did any care yet: the turns alternate, ana (in first) first.
    for number, holder in ((1, "ana"), (2, "ben"), (3, "ana"), (4, "ben")):
        expect(ben.locator(f"#turn-{number} .holder")).to_have_text(holder)
    assert problems_on(ben, "rota (phone)") == []

    # ana asks ben to swap her turn 1 for his turn 2; nothing moves yet.
    ana.goto(rota_url)
    turn = ana.locator("#turn-1")
    turn.get_by_text("Mark done or ask someone to take it").click()
    turn.get_by_label("Ask", exact=True).fill("ben")
    turn.get_by_label("In exchange for their turn").fill("2")
    turn.get_by_role("button", name="Ask to swap turn 1").click()
    expect(ana.locator(".flash")).to_contain_text("Asked ben to take turn 1")
    expect(ana.locator("#turn-1 .holder")).to_have_text("ana")
    assert problems_on(ana, "rota with a swap asked") == []

    ben.goto(rota_url)
    ben.get_by_role("button", name="Confirm the swap").click()
    expect(ben.locator(".flash")).to_contain_text("Swap confirmed: turn 1 is yours")
    expect(ben.locator("#turn-1 .holder")).to_have_text("ben")
    expect(ben.locator("#turn-2 .holder")).to_have_text("ana")

    turn = ben.locator("#turn-1")
    turn.get_by_text("Mark done or ask someone to take it").click()
    turn.get_by_label("Hours", exact=True).fill("2.5")
    turn.get_by_role("button", name="Mark turn 1 done").click()
    expect(ben.locator(".flash")).to_contain_text("Turn 1 is done")
    expect(ben.locator("#past")).to_be_visible()
    expect(ben.locator("ul.past #turn-1")).to_contain_text("work entry #")
    screenshot(ben, "rota-turn-done")

    ana.goto(live_server + "/projects/workshop/contributors/labour")
    expect(ana.locator("table.labour")).to_contain_text("ben")
    expect(ana.locator("table.busiest")).to_contain_text("100% (ben, of 2.5 h by 1)")
    assert problems_on(ana, "labour page with the busiest share") == []
    screenshot(ana, "labour-busiest-share")
