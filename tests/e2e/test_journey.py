"""A newcomer's whole first hour, in a real browser against a real server
and with the real git client: register, create a project, create a token,
push; a second person joins, pushes a branch and proposes its merge; the
first supports; time moves past the window and the merge is in the log; a
need is added, pledged, received and the chart changes; the contributors
page shows both people. Screenshots of each main page, desktop and phone,
land in screenshots/ (ignored by git)."""

import subprocess
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_first_steps import register


def token_of(page, base) -> str:
    page.goto(base + "/settings")
    page.get_by_label("Token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    return page.locator("#new-token").inner_text()


def git(*args, cwd, home, who=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    if who:
        env.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=f"{who}@example.org",
                   GIT_COMMITTER_NAME=who, GIT_COMMITTER_EMAIL=f"{who}@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


def both_widths(page, base, path, name, phone) -> None:
    page.goto(base + path)
    screenshot(page, f"{name}-desktop")
    phone.goto(base + path)
    screenshot(phone, f"{name}-phone")


def test_a_newcomers_first_hour(live_server, browser_factory, make_app, tmp_path):
    nia = browser_factory()
    phone = browser_factory(width=375, height=800)  # a reader, for phone screenshots
    both_widths(nia, live_server, "/projects", "journey-projects-empty", phone)
    register(nia, live_server, "nia")
    nia.get_by_role("link", name="New project").click()
    nia.get_by_label("Name").fill("Bike kitchen")
    nia.get_by_label("Slug").fill("bike-kitchen")
    nia.get_by_label("Description").fill("Tools and know-how to fix bikes together.")
    nia.get_by_label("Licence (SPDX identifier)").fill("CC-BY-SA-4.0")
    nia.get_by_label("Direct: members push it").check()
    nia.get_by_role("button", name="Create project").click()
    expect(nia).to_have_url(live_server + "/projects/bike-kitchen")
    clone_url = nia.get_by_label("Clone URL").input_value()
    both_widths(nia, live_server, "/projects/bike-kitchen", "journey-project", phone)

    # nia pushes to main with a token, with the real git client.
    token = token_of(nia, live_server)
    mine = tmp_path / "nia"
    git("clone", "-q", clone_url, str(mine), cwd=tmp_path, home=tmp_path)
    (mine / "tools.md").write_text("# Tools\n\n- cone wrenches\n- chain whip\n")
    git("add", "tools.md", cwd=mine, home=tmp_path)
    git("commit", "-q", "-m", "List the tools", cwd=mine, home=tmp_path, who="nia")
    git("push", "-q", clone_url.replace("http://", f"http://nia:{token}@"), "main", cwd=mine,
        home=tmp_path)
    nia.goto(live_server + "/projects/bike-kitchen/commits/main")
    expect(nia.get_by_role("link", name="List the tools")).to_be_visible()
    both_widths(nia, live_server, "/projects/bike-kitchen/tree/main", "journey-tree", phone)

    # otto joins from a phone, pushes a branch and proposes its merge.
    otto = browser_factory(width=375, height=800)
    register(otto, live_server, "otto")
    otto.goto(live_server + "/projects?q=bikes")
    otto.get_by_role("link", name="Bike kitchen").click()
    otto.get_by_role("button", name="Join Bike kitchen").click()
    expect(otto.get_by_text("You are a member of Bike kitchen")).to_be_visible()
    otto_token = token_of(otto, live_server)
    theirs = tmp_path / "otto"
    git("clone", "-q", clone_url, str(theirs), cwd=tmp_path, home=tmp_path)
    git("checkout", "-q", "-b", "truing", cwd=theirs, home=tmp_path)
    (theirs / "truing.md").write_text("# Truing a wheel\n\nQuarter turns, both sides.\n")
    git("add", "truing.md", cwd=theirs, home=tmp_path)
    git("commit", "-q", "-m", "How to true a wheel", cwd=theirs, home=tmp_path, who="otto")
    git("push", "-q", clone_url.replace("http://", f"http://otto:{otto_token}@"), "truing",
        cwd=theirs, home=tmp_path)
    otto.goto(live_server + "/projects/bike-kitchen/proposals")
    otto.get_by_role("link", name="Open a proposal").click()
    otto.get_by_label("Title").fill("Wheel truing guide")
    otto.get_by_label("Branch to merge").fill("truing")
    otto.get_by_role("button", name="Open the proposal").click()
    expect(otto.get_by_text("Opened proposal #1")).to_be_visible()
    screenshot(otto, "journey-proposal-phone")

    nia.goto(live_server + "/projects/bike-kitchen/proposals/1")
    nia.get_by_role("radio", name="Support").check()
    nia.get_by_role("button", name="Take my stance").click()
    expect(nia.get_by_role("heading", name="Stances: 1 support, 0 abstain, 0 object")) \
        .to_be_visible()
    screenshot(nia, "journey-proposal-desktop")

    # The review window closes with no objection standing: commons merges.
    app = make_app()
    app.config["BASE_URL"] = live_server
    later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    ticked = app.test_cli_runner().invoke(args=["governance", "tick", "--now", later])
    assert "passed" in ticked.output, ticked.output
    nia.goto(live_server + "/projects/bike-kitchen/commits/main")
    expect(nia.get_by_role("link", name="Merge truing (proposal #1: Wheel truing guide)")) \
        .to_be_visible()
    both_widths(nia, live_server, "/projects/bike-kitchen/commits/main", "journey-history",
                phone)
    git("pull", "-q", "origin", "main", cwd=mine, home=tmp_path)
    assert (mine / "truing.md").exists()
    assert git("fsck", "--no-progress", cwd=mine, home=tmp_path) == ""

    # A need is added, pledged and received; the chart changes.
    nia.goto(live_server + "/projects/bike-kitchen/ledger")
    nia.get_by_role("link", name="Add the first need").click()
    nia.get_by_label("What is needed").fill("Spoke tension meter")
    nia.get_by_label("Kind").select_option("equipment")
    nia.get_by_label("Quantity").fill("1")
    nia.get_by_label("Unit", exact=True).select_option("piece")
    nia.get_by_role("button", name="Add the need").click()
    expect(nia).to_have_url(live_server + "/projects/bike-kitchen/inputs/1")
    otto.goto(live_server + "/projects/bike-kitchen/inputs/1")
    otto.locator("#pledge-form").get_by_label("Quantity").fill("1")
    otto.locator("#pledge-form").get_by_role("button", name="Pledge").click()
    expect(otto.get_by_text("You pledged 1 piece of Spoke tension meter")).to_be_visible()
    nia.goto(live_server + "/projects/bike-kitchen/ledger")
    figures = nia.locator("svg.chart text.chart-figure")
    expect(figures).to_have_text(["0 of 1 piece received, 1 piece pledged"])
    nia.goto(live_server + "/projects/bike-kitchen/inputs/1")
    nia.get_by_text("Record a receipt").click()
    receipt = nia.locator("#receipt-form")
    receipt.get_by_label("Quantity received").fill("1")
    receipt.get_by_label("Against pledge").select_option("2")
    receipt.get_by_label("Evidence link").fill("https://example.org/meter.jpg")
    receipt.get_by_role("button", name="Record the receipt").click()
    expect(nia.get_by_text("Receipt recorded as entry #3.")).to_be_visible()
    nia.goto(live_server + "/projects/bike-kitchen/ledger")
    expect(figures).to_have_text(["1 of 1 piece received, 0 piece pledged"])
    both_widths(nia, live_server, "/projects/bike-kitchen/ledger", "journey-ledger", phone)

    # The contributors page shows both people and what each gave.
    nia.goto(live_server + "/projects/bike-kitchen")
    nia.get_by_role("link", name="Contributors").click()
    rows = nia.locator("table.contributors tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("th")).to_have_text("nia")
    expect(rows.nth(0).locator("td").nth(0)).to_contain_text("2")  # first commit, tools
    expect(rows.nth(0).locator("td").nth(3)).to_contain_text("1")  # one stance
    expect(rows.nth(1).locator("th")).to_have_text("otto")
    expect(rows.nth(1).locator("td").nth(0)).to_contain_text("1")
    expect(rows.nth(1).locator("td").nth(2)).to_contain_text("1 merge, 1 merged")
    expect(rows.nth(1).locator("td").nth(8)).to_contain_text("pledged 1 piece")
    expect(rows.nth(1).locator("td").nth(8)).to_contain_text("delivered 1 piece")
    both_widths(nia, live_server, "/projects/bike-kitchen/contributors", "journey-contributors",
                phone)
    both_widths(nia, live_server, "/users/otto", "journey-profile", phone)
