"""Recognition as a collective meets it, in a real browser against a real
server: a 300 EUR grant arrives, each member's hours are confirmed by the
other, a policy proposal weighting care 1.5 (and naming a treasurer) is
adopted, a distribution of 300 EUR is proposed with each person's share on
the proposal page before anyone takes a stance, it passes, and the treasurer
finds the shares' claims to pay. The pages pass axe. A proposal's window
is closed by moving its recorded times back, then `governance tick`
decides it at the real time: deciding an hour ahead instead would adopt
the rule tomorrow when the test runs late in the day, and today's hours
would not be weighted."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from commons.extensions import db
from commons.governance.models import Proposal, ProposalNotice
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import problems_on
from tests.e2e.test_first_steps import register
from tests.e2e.test_funds import need, receipt


def log_work(page, base, hours, category):
    page.goto(f"{base}/projects/workshop/work")
    page.get_by_label("Hours", exact=True).fill(hours)
    page.get_by_label("Kind of work").select_option(category)
    page.get_by_label("What you did").fill(f"{category} in the workshop")
    page.get_by_role("button", name="Log the hours").click()
    expect(page.locator(".flash")).to_be_visible()


def decide_now(make_app, number: int) -> None:
    """Proposal *number*'s review window and notices, moved back so it
    closed a minute ago; then `governance tick` decides it at the server's own time (or the
    server's worker, whose sweep runs every minute, got there first)."""
    app = make_app()
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.number == number))
        shift = proposal.closes_at - datetime.now(UTC) + timedelta(minutes=1)
        proposal.opened_at -= shift
        proposal.closes_at -= shift
        # Its notices too: silence is assent only a window after notice.
        for notice in db.session.scalars(sa.select(ProposalNotice).where(
                ProposalNotice.proposal_id == proposal.id)):
            notice.recorded_at -= shift
            notice.sent_at = notice.sent_at - shift if notice.sent_at else None
        db.session.commit()
    ticked = app.test_cli_runner().invoke(
        args=["governance", "tick", "--now", datetime.now(UTC).isoformat()])
    assert ticked.exit_code == 0, ticked.output
    with app.app_context():
        for _ in range(300):  # a decider that claimed it first commits within seconds
            status = db.session.scalar(sa.select(Proposal.status)
                                       .where(Proposal.number == number))
            db.session.rollback()
            if status != "open":
                break
            time.sleep(0.1)
    assert status == "passed", ticked.output


@pytest.mark.server_config(MIN_REVIEW_WINDOW=3600)
def test_hours_confirmed_a_rule_adopted_and_a_distribution_shared(live_server, browser_factory,
                                                                  make_app):
    month = datetime.now(UTC).strftime("%Y-%m")  # the month the hours are logged in
    ana = browser_factory()
    register(ana, live_server, "ana")
    ana.get_by_role("link", name="New project").click()
    ana.get_by_label("Name").fill("Workshop")
    ana.get_by_label("Slug").fill("workshop")
    ana.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    ana.get_by_label("Open: whoever joins is a member at once").check()
    ana.get_by_text("Review window and approval threshold").click()
    ana.get_by_label("Review window (hours)").fill("1")
    ana.get_by_label("Approval threshold").fill("300")
    ana.get_by_label("Currency", exact=True).select_option("EUR")
    ana.get_by_role("button", name="Create project").click()
    expect(ana).to_have_url(live_server + "/projects/workshop")
    need(ana, live_server, "Grant from the city", "money", "300", "EUR")
    receipt(ana, "300", "City council")

    ben = browser_factory(width=375, height=800)
    register(ben, live_server, "ben")
    ben.goto(live_server + "/projects/workshop")
    ben.get_by_role("button", name="Join Workshop").click()

    # One policy proposal: care weighs 1.5, and ana keeps the money.
    ana.goto(live_server + "/projects/workshop/proposals/new?kind=policy")
    ana.get_by_label("Title").fill("Care counts more; ana is treasurer")
    ana.get_by_label("Name a treasurer (username)").fill("ana")
    ana.get_by_label("Weight of care work (cleaning, cooking, support)").fill("1.5")
    ana.get_by_role("button", name="Open the proposal").click()
    expect(ana.get_by_text("Opened proposal #1")).to_be_visible()
    decide_now(make_app, 1)

    # Hours, each confirmed by the other member (never by the worker).
    log_work(ben, live_server, "4", "care")
    log_work(ana, live_server, "6", "routine")
    ana.goto(f"{live_server}/projects/workshop/work")
    ana.get_by_role("button", name="hours of ben").click()
    expect(ana.get_by_text("confirmed by ana")).to_be_visible()
    ben.goto(f"{live_server}/projects/workshop/work")
    ben.get_by_role("button", name="hours of ana").click()
    expect(ben.get_by_text("confirmed by ben")).to_be_visible()

    # The rule applies from its adoption day on: ben's 4 hours of care
    # count 6, ana's 6 hours of routine count 6.
    ben_amount, ana_amount = "150.00", "150.00"

    ben.goto(f"{live_server}/projects/workshop/distributions/new")
    form = ben.locator("#distribution-form")
    form.get_by_label("Month").fill(month)
    form.get_by_label("Amount").fill("300.00")
    form.get_by_label("Currency").select_option("EUR")
    form.get_by_role("button", name="Preview the shares").click()
    preview = ben.locator("#preview")
    expect(preview.locator('tr[data-user="ben"] .share-amount')).to_have_text(
        f"{ben_amount} EUR")
    assert problems_on(ben, "distribution preview (phone)") == []
    ben.locator("#distribution-form").get_by_role(
        "button", name="Propose this distribution").click()
    expect(ben.locator(".flash")).to_contain_text("asks the members to share 300.00 EUR")

    # Each person's share on the proposal page, before any stance.
    ana.goto(f"{live_server}/projects/workshop/proposals/2")
    expect(ana.get_by_text("Stances: 0 support")).to_be_visible()
    shares = ana.locator("section.distribution")
    expect(shares.locator('tr[data-user="ben"] .share-amount')).to_have_text(f"{ben_amount} EUR")
    expect(shares.locator('tr[data-user="ana"] .share-amount')).to_have_text(f"{ana_amount} EUR")
    expect(shares).to_contain_text("largest fractions")
    assert problems_on(ana, "distribution proposal") == []
    screenshot(ana, "distribution-proposal")

    decide_now(make_app, 2)
    ana.goto(f"{live_server}/projects/workshop/distributions")
    expect(ana.locator("section.distribution")).to_contain_text("passed")
    expect(ana.locator('tr[data-user="ben"]')).to_contain_text("owed")
    assert problems_on(ana, "distributions list") == []
    ana.goto(f"{live_server}/projects/workshop/ledger/claims")
    expect(ana.get_by_text("as share 1 of a")).to_be_visible()
    first = ana.locator("li[id^='claim-'][id$='.1']")
    first.get_by_text("Record the payout of claim").click()
    first.get_by_label("Reference").fill("SEPA 0043")
    first.get_by_role("button", name="Record payout of claim").click()
    expect(ana.locator(".flash")).to_contain_text("is paid")
    screenshot(ana, "distribution-paid")
