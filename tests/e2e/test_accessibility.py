"""Every page a newcomer meets, at desktop and phone width, in a real
browser against a real server: axe-core finds no WCAG 2 A/AA violation,
each page has one h1 and headings that do not skip a level, nothing scrolls
sideways on a 375 px phone, and the core journeys work with scripts off."""

import subprocess
from itertools import pairwise

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from commons import paging
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.test_first_steps import register
from tests.e2e.test_keyboard import tab_to

WIDTHS = {"desktop": (1280, 900), "phone": (375, 800)}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}

# Heading levels in document order, how far the page scrolls sideways, and
# every box that may scroll (overflow auto or scroll) yet neither takes the
# keyboard focus nor holds anything focusable. axe flags such a box only when
# this browser's layout makes it overflow today, so what it finds changes with
# chromium's version; this flags it whatever the layout.
LAYOUT_SCRIPT = """() => ({
  headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
    .map(h => [Number(h.tagName[1]), h.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)]),
  scrollWidth: document.scrollingElement.scrollWidth,
  unreachableScrollers: [...document.querySelectorAll('body *')].filter(el => {
    const style = getComputedStyle(el);
    const scrolls = [style.overflowX, style.overflowY].some(o => o === 'auto' || o === 'scroll');
    if (!scrolls || el.tabIndex >= 0) return false;
    return !el.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])');
  }).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className.split(' ').join('.') : '')),
  header: (() => {
    const header = document.querySelector('header.site');
    const box = header.getBoundingClientRect();
    const widest = Math.max(...[...header.querySelectorAll('*')]
      // checkVisibility: a closed menu's content keeps boxes nobody sees.
      .filter(el => el.checkVisibility()).map(el => el.getBoundingClientRect().right));
    return {height: Math.round(box.height), right: Math.round(widest)};
  })(),
  tabs: [...document.querySelectorAll('nav.tabs')].map(nav => ({
    rows: new Set([...nav.querySelectorAll('a')].map(a => Math.round(a.getBoundingClientRect().top))).size,
    overflows: nav.scrollWidth > nav.clientWidth,
    scrolls: ['auto', 'scroll'].includes(getComputedStyle(nav).overflowX),
  })),
})"""

# The header's height on a phone with its menu closed must leave the page
# room: the bar and nothing more.
PHONE_HEADER_MAX = 120


def git(*args, cwd, home):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Alice",
           "GIT_AUTHOR_EMAIL": "alice@example.org", "GIT_COMMITTER_NAME": "Alice",
           "GIT_COMMITTER_EMAIL": "alice@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def log_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash")).to_be_visible()


def create_project(page, name, slug, licence="CERN-OHL-S-2.0"):
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Slug").fill(slug)
    page.get_by_label("Licence (SPDX identifier)").fill(licence)
    page.get_by_label("Open: whoever joins is a member at once").check()
    page.get_by_role("button", name="Create project").click()


def add_need(page, base, slug, title, quantity="10", unit="kg"):
    page.goto(f"{base}/projects/{slug}/inputs/new")
    page.get_by_label("What is needed").fill(title)
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("Unit", exact=True).select_option(unit)
    page.get_by_role("button", name="Add the need").click()
    expect(page.locator(".flash")).to_contain_text(f"({title}) is approved")


def log_work(page, base, slug, hours, what):
    page.goto(f"{base}/projects/{slug}/work")
    page.get_by_label("Hours", exact=True).fill(hours)
    page.get_by_label("Kind of work").select_option("care")
    page.get_by_label("What you did").fill(what)
    page.get_by_role("button", name="Log the hours").click()
    expect(page.locator(".flash")).to_contain_text(f"Logged {hours} hours")


def pledge(page, base, slug, number, quantity):
    page.goto(f"{base}/projects/{slug}/inputs/{number}")
    form = page.locator("#pledge-form")
    form.get_by_label("Quantity").fill(quantity)
    form.get_by_role("button", name="Pledge").click()
    expect(page.locator(".flash")).to_contain_text(f"You pledged {quantity}")


def problems_on(page, name: str) -> list[str]:
    """What a person with a screen reader, a keyboard or a phone would trip
    over on this page, one readable line each."""
    found = []
    for violation in Axe().run(page, options=AXE_OPTIONS).response["violations"]:
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"])
        found.append(f"{name}: axe {violation['id']} ({violation['impact']}): "
                     f"{violation['help']} at {targets}")
    layout = page.evaluate(LAYOUT_SCRIPT)
    levels = [level for level, _ in layout["headings"]]
    if levels.count(1) != 1:
        found.append(f"{name}: {levels.count(1)} h1 headings, not one")
    if levels and levels[0] != 1:
        found.append(f"{name}: the first heading is an h{levels[0]}, not the h1")
    for (before, _), (level, text) in pairwise(layout["headings"]):
        if level > before + 1:
            found.append(f"{name}: heading h{level} “{text}” follows an h{before}")
    for scroller in layout["unreachableScrollers"]:
        found.append(f"{name}: {scroller} may scroll, but no keyboard can reach it")
    width = page.viewport_size["width"]
    if width <= 375 and layout["scrollWidth"] > width + 1:
        found.append(f"{name}: scrolls sideways at {width} px ({layout['scrollWidth']} px wide)")
    if width <= 375 and layout["header"]["height"] > PHONE_HEADER_MAX:
        found.append(f"{name}: the header is {layout['header']['height']} px tall on a phone")
    if layout["header"]["right"] > width:
        found.append(f"{name}: the header reaches {layout['header']['right']} px, past {width}")
    for tabs in layout["tabs"]:
        if tabs["rows"] != 1:
            found.append(f"{name}: the tabs take {tabs['rows']} rows, not one")
        if tabs["overflows"] and not tabs["scrolls"]:
            found.append(f"{name}: the tabs are wider than the page and do not scroll")
    return found


@pytest.fixture
def seeded(live_server, browser_factory, tmp_path):
    """A project with history, a branch, a proposal, a need, logged work
    and a pledge, and an empty project beside it; alice made them all."""
    page = browser_factory()
    register(page, live_server, "alice")
    create_project(page, "Seed library", "seeds")
    expect(page).to_have_url(live_server + "/projects/seeds")

    work = tmp_path / "seeds-work"
    git("clone", "-q", str(tmp_path / "repos" / "seeds.git"), str(work), cwd=tmp_path,
        home=tmp_path)
    (work / "README.md").write_text("# Seed library\n\nSeeds anyone can borrow.\n")
    # A line longer than a phone is wide: code and diffs scroll, the page must not.
    (work / "catalogue.py").write_text("SEEDS = ['Black Krim', 'Borlotti']\n"
                                       f"NOTES = {'Keep dry and cool, out of the light. ' * 4!r}\n")
    git("add", ".", cwd=work, home=tmp_path)
    git("commit", "-q", "-m", "Start the catalogue", cwd=work, home=tmp_path)
    git("push", "-q", "origin", "HEAD:main", cwd=work, home=tmp_path)
    git("checkout", "-q", "-b", "beans", cwd=work, home=tmp_path)
    (work / "catalogue.py").write_text("SEEDS = ['Black Krim', 'Borlotti', 'Runner']\n")
    git("commit", "-qam", "Add runner beans", cwd=work, home=tmp_path)
    git("push", "-q", "origin", "beans", cwd=work, home=tmp_path)
    sha = git("rev-parse", "main", cwd=work, home=tmp_path)
    # More tags than a page holds, so the tags page shows its pager.
    tags = "".join(f"create refs/tags/v1.{number:03}.0 {sha}\n" for number in range(105))
    subprocess.run(["git", "update-ref", "--stdin"], cwd=tmp_path / "repos" / "seeds.git",
                   input=tags, text=True, check=True)

    page.goto(live_server + "/projects/seeds/proposals/new")
    page.get_by_label("Title").fill("Add runner beans")
    page.get_by_label("Branch to merge").fill("beans")
    page.get_by_role("button", name="Open the proposal").click()
    expect(page.get_by_text("Opened proposal #1")).to_be_visible()
    add_need(page, live_server, "seeds", "Paper envelopes", "200", "piece")
    log_work(page, live_server, "seeds", "2", "Sorted the seed drawer")
    pledge(page, live_server, "seeds", 1, "50")

    page.goto(live_server + "/projects")
    create_project(page, "Empty shed", "shed")
    expect(page).to_have_url(live_server + "/projects/shed")
    # A repository with no commits at all (made outside commons, or emptied).
    git("update-ref", "-d", "refs/heads/main", cwd=tmp_path / "repos" / "shed.git", home=tmp_path)
    return {"sha": sha,
            "tagged_at": int(git("log", "-1", "--format=%ct", "main", cwd=work, home=tmp_path))}


# What a page must show besides, where it is there for one state.
SHOWS = {"tags": 'rel="next">Next</a>', "tags-later": ">First page</a>",
         "tags-gone": "the tags changed since the last page"}


def test_every_page_a_newcomer_meets_is_accessible_at_both_widths(
        live_server, browser_factory, seeded):
    signed_in = {
        "projects": "/projects",
        "home": "/",
        "project-new": "/projects/new",
        "settings": "/settings",
        "inbox": "/inbox",
        "needs": "/needs",
        "project": "/projects/seeds",
        "tree": "/projects/seeds/tree/main",
        "blob": "/projects/seeds/blob/main/catalogue.py",
        "commits": "/projects/seeds/commits/main",
        "commit": f"/projects/seeds/commit/{seeded['sha']}",
        "branches": "/projects/seeds/branches",
        "tags": "/projects/seeds/tags",
        # The second page ("First page" and no "Next"), and one whose
        # cursor is past every tag (the tags changed since the last page).
        "tags-later": "/projects/seeds/tags?after="
                      + paging.encode((seeded["tagged_at"], "v1.099.0")),
        "tags-gone": f"/projects/seeds/tags?after={paging.encode((0, '~'))}",
        "proposals": "/projects/seeds/proposals",
        "proposal": "/projects/seeds/proposals/1",
        "proposal-new": "/projects/seeds/proposals/new",
        **{f"proposal-new-{kind}": f"/projects/seeds/proposals/new?kind={kind}"
           for kind in ("decision", "membership", "license", "input", "policy")},
        "glossary": "/glossary",
        "changes": "/projects/seeds/proposals/1/changes",
        "compare": "/projects/seeds/compare/main...beans",
        "ledger": "/projects/seeds/ledger",
        "input": "/projects/seeds/inputs/1",
        "input-new": "/projects/seeds/inputs/new",
        "journal": "/projects/seeds/ledger/journal",
        "work": "/projects/seeds/work",
        "contributors": "/projects/seeds/contributors",
        "labour": "/projects/seeds/contributors/labour",
        "profile": "/users/alice",
        "project-settings": "/projects/seeds/settings",
        "empty-project": "/projects/shed",
        "empty-repository": "/projects/shed/tree",
        "empty-history": "/projects/shed/commits",
        "empty-branches": "/projects/shed/branches",
        "empty-proposals": "/projects/shed/proposals",
        "empty-ledger": "/projects/shed/ledger",
        "search": "/search?q=seed",
        "search-nothing": "/search?q=%25zebra%22",
    }
    signed_out = {"register": "/register", "login": "/login", "home-signed-out": "/",
                  "project-signed-out": "/projects/seeds", "search-empty": "/search"}
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        page = browser_factory(width=width, height=height)
        log_in(page, live_server, "alice")
        anonymous = browser_factory(width=width, height=height)
        for pages, browser in ((signed_in, page), (signed_out, anonymous)):
            for name, path in pages.items():
                response = browser.goto(live_server + path)
                assert response.ok, f"{path} answered {response.status}"
                assert SHOWS.get(name, "") in browser.content(), path
                problems += problems_on(browser, f"{path} ({width_name})")
                screenshot(browser, f"a11y-{name}-{width_name}")
    assert not problems, "\n".join(["", *problems])


def test_the_core_journeys_work_with_javascript_off(live_server, browser_factory):
    page = browser_factory(js=False)
    register(page, live_server, "nadia")
    create_project(page, "Bike kitchen", "bikes")
    expect(page).to_have_url(live_server + "/projects/bikes")
    expect(page.locator(".flash")).to_be_visible()
    log_work(page, live_server, "bikes", "3", "Trued the donated wheels")
    add_need(page, live_server, "bikes", "Inner tubes", "12", "piece")

    other = browser_factory(width=375, height=800, js=False)
    register(other, live_server, "omar")
    pledge(other, live_server, "bikes", 1, "4")
    expect(other.locator("dl.balance")).to_contain_text("Pledged, not yet received4 piece")
    screenshot(other, "a11y-pledge-nojs-phone")


def test_on_a_phone_the_menu_opens_from_the_keyboard_and_the_tabs_scroll(
        live_server, browser_factory):
    desktop = browser_factory()
    register(desktop, live_server, "rosa")
    create_project(desktop, "Tool library", "tools")
    expect(desktop).to_have_url(live_server + "/projects/tools")
    # On a laptop the menu is a row of links; its Menu button is not there.
    expect(desktop.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(desktop.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_be_visible()

    phone = browser_factory(width=375, height=800)
    log_in(phone, live_server, "rosa")
    phone.goto(live_server + "/projects/tools/contributors")
    settings = phone.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
    expect(settings).to_be_hidden()
    header = phone.locator("header.site")
    assert header.bounding_box()["height"] <= PHONE_HEADER_MAX
    screenshot(phone, "a11y-menu-closed-phone")

    tab_to(phone, "Menu")
    phone.keyboard.press("Enter")
    expect(settings).to_be_visible()
    # The open menu lies over the page; the bar itself does not grow.
    assert header.bounding_box()["height"] <= PHONE_HEADER_MAX
    assert not problems_on(phone, "the open menu (phone)")
    screenshot(phone, "a11y-menu-open-phone")
    tab_to(phone, "Settings")
    phone.keyboard.press("Escape")
    expect(settings).to_be_hidden()
    assert phone.evaluate("document.activeElement.tagName") == "SUMMARY"

    # The tabs stay on one row and scroll: the current one is brought into
    # view, and the keyboard reaches the last one (the browser scrolls to it).
    tabs = phone.locator("nav.tabs")
    assert phone.evaluate("document.querySelector('nav.tabs').scrollWidth") > 375
    strip = tabs.bounding_box()
    current = tabs.locator("[aria-current=page]").bounding_box()
    assert strip["x"] <= current["x"] and current["x"] + current["width"] <= strip["x"] + strip["width"]
    tab_to(phone, "Settings")  # the project's last tab: the menu is closed again
    last = tabs.get_by_role("link", name="Settings").bounding_box()
    assert last["x"] + last["width"] <= strip["x"] + strip["width"] + 1
