"""The core actions with a keyboard alone, in a real browser: skip to the
content, log in, join a project and take a stance, never touching a mouse."""

from playwright.sync_api import expect

from tests.e2e.test_first_steps import register


def tab_to(page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused element's accessible text is *name*."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.labels && e.labels[0] ? e.labels[0].innerText : '')"
            " || e.getAttribute('aria-label') || e.innerText || e.value || ''; }")
        if focused.strip().startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_log_in_join_and_take_a_stance_with_the_keyboard(live_server, browser_factory):
    founder = browser_factory()
    register(founder, live_server, "kim")
    founder.get_by_role("link", name="New project").click()
    founder.get_by_label("Name").fill("Repair cafe")
    founder.get_by_label("Slug").fill("repair")
    founder.get_by_label("Licence (SPDX identifier)").fill("CC-BY-SA-4.0")
    founder.get_by_role("button", name="Create project").click()
    founder.goto(live_server + "/projects/repair/proposals/new")
    founder.get_by_label("A decision (free text)").check()
    founder.get_by_label("Title").fill("Open on Saturdays")
    founder.get_by_role("button", name="Open the proposal").click()
    expect(founder.get_by_text("Opened proposal #1")).to_be_visible()
    founder.goto(live_server + "/logout")

    lee = browser_factory()
    register(lee, live_server, "lee")
    lee.goto(live_server + "/settings")
    lee.get_by_role("button", name="Log out lee").click()

    page = lee
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.innerText") == "Skip to content"
    page.keyboard.press("Enter")
    tab_to(page, "Username or email")
    page.keyboard.type("lee")
    tab_to(page, "Password")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out lee")).to_be_visible()

    page.goto(live_server + "/projects/repair")
    tab_to(page, "Join Repair cafe")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You are a member of Repair cafe")).to_be_visible()

    page.goto(live_server + "/projects/repair/proposals/1")
    tab_to(page, "Support")
    page.keyboard.press("Space")
    tab_to(page, "Take my stance")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Stances: 1 support, 0 abstain, 0 object")) \
        .to_be_visible()
    # The focus ring is drawn, and it is not the browser's faint default.
    tab_to(page, "Withdraw my support")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert outline == "rgb(9, 105, 218)", outline
