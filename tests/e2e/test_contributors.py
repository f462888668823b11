"""Contributor records as people meet them, in a real browser against a
real server: two people push with the real git client (one commit
co-authored), one logs cleaning hours, the other logs design hours and
pledges an input; the contributors page, the profile and the
division-of-labour chart show all of it."""

import subprocess

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_first_steps import register


def token_of(page, base) -> str:
    page.goto(base + "/settings")
    page.get_by_label("Token name").fill("git")
    page.get_by_role("button", name="Create token").click()
    return page.locator("#new-token").inner_text()


def git(*args, cwd, home, who=None, email=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    if who:
        env.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=who,
                   GIT_COMMITTER_EMAIL=email)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def log_hours(page, base, hours, kind, what):
    page.goto(base + "/projects/tools/work")
    page.get_by_label("Hours", exact=True).fill(hours)
    page.get_by_label("Kind of work").select_option(kind)
    page.get_by_label("What you did").fill(what)
    page.get_by_role("button", name="Log the hours").click()
    expect(page.locator(".flash")).to_contain_text(f"Logged {hours} hours")


def test_two_people_push_log_work_and_pledge_and_the_records_show_it(
        live_server, browser_factory, tmp_path):
    ana = browser_factory()
    register(ana, live_server, "ana")
    ana.get_by_role("link", name="New project").click()
    ana.get_by_label("Name").fill("Tool library")
    ana.get_by_label("Slug").fill("tools")
    ana.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    ana.get_by_role("button", name="Create project").click()
    expect(ana).to_have_url(live_server + "/projects/tools")
    ana_token = token_of(ana, live_server)

    ben = browser_factory(width=375, height=800)
    register(ben, live_server, "ben")
    ben.goto(live_server + "/projects/tools")
    ben.get_by_role("button", name="Join Tool library").click()
    expect(ben.get_by_text("You are a member of Tool library")).to_be_visible()
    ben_token = token_of(ben, live_server)

    # Two people push branches with the real git client; ben's commit is
    # co-authored with ana.
    url = live_server + "/projects/tools.git"
    for name, token, branch, path, message in [
        ("ana", ana_token, "racks", "racks.md", "Measure the racks"),
        ("ben", ben_token, "catalogue", "catalogue.md",
         "Start the catalogue\n\nCo-authored-by: ana <ana@example.org>"),
    ]:
        work = tmp_path / name
        git("clone", "-q", url, str(work), cwd=tmp_path, home=tmp_path)
        git("checkout", "-q", "-b", branch, cwd=work, home=tmp_path)
        (work / path).write_text("# " + message.splitlines()[0] + "\n\nline one\nline two\n")
        git("add", path, cwd=work, home=tmp_path)
        git("commit", "-q", "-m", message, cwd=work, home=tmp_path, who=name,
            email=f"{name}@example.org")
        git("push", "-q", url.replace("http://", f"http://{name}:{token}@"), branch, cwd=work,
            home=tmp_path)

    # ana cleans; ben designs and pledges an input ana asked for.
    log_hours(ana, live_server, "2", "care", "Cleaned the workshop")
    log_hours(ben, live_server, "3", "creative", "Drew the wall rack")
    ana.goto(live_server + "/projects/tools/inputs/new")
    ana.get_by_label("What is needed").fill("Plywood sheet")
    ana.get_by_label("Kind").select_option("material")
    ana.get_by_label("Quantity").fill("4")
    ana.get_by_label("Unit", exact=True).select_option("piece")
    ana.get_by_role("button", name="Add the need").click()
    expect(ana).to_have_url(live_server + "/projects/tools/inputs/1")
    ben.goto(live_server + "/projects/tools/inputs/1")
    pledge = ben.locator("#pledge-form")
    pledge.get_by_label("Quantity").fill("2")
    pledge.get_by_role("button", name="Pledge").click()
    expect(ben.get_by_text("You pledged 2 piece of Plywood sheet")).to_be_visible()

    # ana credits ben's design work with a link to it.
    ana.goto(live_server + "/projects/tools")
    ana.get_by_role("link", name="Contributors").click()
    form = ana.locator("#credit-form")
    form.get_by_label("Who").fill("ben")
    form.get_by_label("Kind of contribution").select_option("design")
    form.get_by_label("Evidence").fill("javascript:alert(1)")
    form.get_by_label("What they did").fill("Rack drawings")
    form.get_by_role("button", name="Credit the contribution").click()
    expect(form.get_by_text("Evidence is a link starting with https://")).to_be_visible()
    expect(form.get_by_label("What they did")).to_have_value("Rack drawings")
    form.get_by_label("Evidence").fill("https://example.org/rack.svg")
    form.get_by_role("button", name="Credit the contribution").click()
    expect(ana.locator(".flash")).to_contain_text("Credited ben with design.")

    rows = ana.locator("table.contributors tbody tr")
    expect(rows).to_have_count(2)
    ana_row, ben_row = rows.nth(0), rows.nth(1)
    expect(ana_row.locator("th")).to_have_text("ana")
    # ana: the project's first commit and her own, plus the co-authored one.
    expect(ana_row.locator("td").nth(0)).to_contain_text("2 +1 co-authored")
    expect(ana_row.locator("td").nth(4)).to_contain_text("2 care")
    expect(ben_row.locator("td").nth(0)).to_contain_text("1")
    expect(ben_row.locator("td").nth(4)).to_contain_text("3 creative")
    # Nobody confirmed ben's hours: all 3 are unconfirmed.
    expect(ben_row.locator("td.confirmed-hours")).to_have_text("0")
    expect(ben_row.locator("td.unconfirmed-hours")).to_have_text("3")
    expect(ben_row.locator("td").nth(8)).to_contain_text("pledged 2 piece")
    expect(ben_row.locator("td").nth(9)).to_have_text("Design")
    screenshot(ana, "contributors-desktop")
    ana.get_by_role("link", name="Hours").click()
    expect(rows.nth(0).locator("th")).to_have_text("ben")

    ben.goto(live_server + "/projects/tools/contributors")
    expect(ben.locator("table.contributors tbody tr")).to_have_count(2)
    screenshot(ben, "contributors-phone")

    ana.get_by_role("link", name="Division of labour").click()
    hours_chart = ana.get_by_role("img", name="Hours per person and kind of work")
    expect(hours_chart).to_be_visible()
    expect(hours_chart.locator("rect")).to_have_count(2)
    expect(hours_chart.locator("text.chart-figure")).to_have_text(["3 h", "2 h"])
    table = ana.locator("table.labour")
    expect(table.locator("tbody tr").nth(0)).to_contain_text("ben")
    expect(ana.locator("ul.shares")).to_contain_text("Care (cleaning, cooking, support): 2 h by 1 person; ana did 100%")
    screenshot(ana, "labour-desktop")

    ben.get_by_role("link", name="ben").first.click()
    expect(ben).to_have_url(live_server + "/users/ben")
    record = ben.locator("section.record dl.record")
    expect(record).to_contain_text("1 authored")
    expect(record).to_contain_text("3 h creative and design")
    expect(record).to_contain_text("Pledged2 piece in 1 pledge")
    expect(record).to_contain_text("Design")
    screenshot(ben, "profile-phone")
