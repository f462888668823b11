"""Commenting on a line of a merge proposal in a real browser: the line's
page and the proposal's timeline pass axe at both widths, and the form
works with scripts off."""

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import WIDTHS, log_in, problems_on, seeded  # noqa: F401

LINE = "/projects/seeds/proposals/1/changes/comment?path=catalogue.py&side=new&line=1"


def test_a_line_comment_page_and_its_timeline_are_accessible(
        live_server, browser_factory, seeded):  # noqa: F811
    page = browser_factory(js=False)
    log_in(page, live_server, "alice")
    page.goto(live_server + LINE)
    expect(page.locator("mark")).to_contain_text("Runner")
    page.get_by_role("button", name="Comment").click()  # empty: refused, form kept
    expect(page.locator("#body-error")).to_contain_text("Comment is required")
    page.get_by_label("Your comment").fill("Runner beans need *poles*.")
    page.get_by_role("button", name="Comment").click()
    page.goto(live_server + "/projects/seeds/proposals/1")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("alice commented on catalogue.py line 1.")
    expect(timeline.get_by_role("link", name="view the line")).to_be_visible()
    expect(page.locator("#comments").get_by_role("link", name="catalogue.py line 1")).to_be_visible()
    problems = []
    for width_name, (width, height) in WIDTHS.items():
        browser = browser_factory(width=width, height=height)
        log_in(browser, live_server, "alice")
        for name, path in (("line-comment", LINE), ("proposal-line-comments",
                                                    "/projects/seeds/proposals/1")):
            response = browser.goto(live_server + path)
            assert response.ok, f"{path} answered {response.status}"
            problems += problems_on(browser, f"{path} ({width_name})")
            screenshot(browser, f"a11y-{name}-{width_name}")
    assert not problems, "\n".join(["", *problems])
