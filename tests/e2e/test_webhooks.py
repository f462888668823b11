"""The webhook pages in a real browser against gunicorn: a member adds a
hook through the form, a ledger entry made on the site reaches a real
receiver, the log shows it, redeliver sends it again; both pages pass axe
at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import WIDTHS, add_need, create_project, problems_on
from tests.e2e.test_first_steps import register
from tests.webhooks.conftest import receiver  # noqa: F401 (the fixture)

SECRET = "browser-secret-0123456789"


@pytest.mark.server_config(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_member_adds_a_hook_and_watches_its_deliveries(live_server, browser_factory,
                                                         receiver):  # noqa: F811
    page = browser_factory()
    register(page, live_server, "alice")
    create_project(page, "Seed library", "seeds")
    page.get_by_role("navigation", name="Seed library").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Manage webhooks").click()
    expect(page).to_have_url(live_server + "/projects/seeds/settings/webhooks")
    problems = problems_on(page, "webhooks")
    page.get_by_label("Payload URL").fill(receiver.url)
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_label("Ledger entry appended").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_text("Webhook added.")).to_be_visible()
    expect(page.get_by_label("Current secret")).to_have_value(SECRET)
    hook_page = page.url

    add_need(page, live_server, "seeds", "Paper envelopes", "200", "piece")
    [request] = receiver.wait(1)
    assert receiver.signed(request, SECRET)

    page.goto(hook_page)
    expect(page.locator("tr.delivery.delivered")).to_have_count(1)
    page.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_text("is being sent again")).to_be_visible()
    assert receiver.wait(2)[1].body == request.body
    expect(page.get_by_text("(redelivery)")).to_be_attached()
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        problems += problems_on(page, f"webhook ({width_name})")
        screenshot(page, f"webhook-{width_name}")
    assert problems == []
