"""Issue 19 as a new user tries it, in a real browser against a real
server: a makerspace offers 100 hours of its workshop for December, three
projects ask for 60, 50 and 40 hours, see the excess demand of 1.5 when
the first iteration closes, revise to 50, 30 and 20, and when the second
closes the allocation lands as pledges in each project's ledger. The
iterations close by `governance tick --now`, the clock moved as the
proposal tests move it."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import create_project, problems_on
from tests.e2e.test_first_steps import register

PROJECTS = (("Bike kitchen", "bike-kitchen", "60", "50"),
            ("Repair cafe", "repair-cafe", "50", "30"),
            ("Loom builders", "looms", "40", "20"))


def file_request(page, base, round_url, quantity, why):
    page.goto(base + round_url)
    form = page.locator("#request-form")
    form.get_by_label("Quantity").fill(quantity)
    form.get_by_label("#1 Workshop time", exact=False).check()
    form.get_by_label("Justification").fill(why)
    form.get_by_role("button", name="File the request").click()
    expect(page.locator(".flash")).to_contain_text(f"asks for {quantity} hour")


def tick(make_app, base, now: datetime) -> str:
    app = make_app()
    app.config["BASE_URL"] = base
    ticked = app.test_cli_runner().invoke(args=["governance", "tick", "--now", now.isoformat()])
    assert ticked.exit_code == 0, ticked.output
    return ticked.output


def test_three_projects_share_a_workshop_over_two_iterations(live_server, browser_factory,
                                                             make_app):
    maker = browser_factory()
    register(maker, live_server, "maker")
    maker.get_by_role("link", name="Pools").click()
    expect(maker.get_by_text("No pool is offered yet")).to_be_visible()
    maker.get_by_role("link", name="Offer the first one").click()
    maker.get_by_label("Name of the pool").fill("Workshop hours, December")
    maker.get_by_label("Description").fill("The **big room**, with the lathe and the loom.")
    maker.get_by_label("A resource counted in a unit").check()
    maker.get_by_label("How much is available").fill("100")
    maker.get_by_label("Unit", exact=True).select_option("hour")
    maker.get_by_label("Period").fill("2026-12")
    maker.get_by_role("button", name="Offer the pool").click()
    expect(maker.locator(".flash")).to_contain_text("The pool Workshop hours, December is offered")
    expect(maker.locator("#pool-available")).to_have_text("100 hour")
    pool_url = maker.url
    maker.get_by_label("Iterations").fill("2")
    maker.get_by_label("Length of each iteration, in days").fill("3")
    maker.get_by_role("button", name="Open the round").click()
    expect(maker.locator(".flash")).to_contain_text("Round 1 is open")
    round_url = maker.url.removeprefix(live_server)
    opened = datetime.now(UTC)

    people = []
    for name, slug, first, _ in PROJECTS:
        page = browser_factory()
        register(page, live_server, slug.replace("-", ""))
        create_project(page, name, slug)
        page.goto(f"{live_server}/projects/{slug}/inputs/new")
        page.get_by_label("What is needed").fill("Workshop time")
        page.get_by_label("Quantity").fill(first)
        page.get_by_label("Unit", exact=True).select_option("hour")
        page.get_by_role("button", name="Add the need").click()
        expect(page.locator(".flash")).to_contain_text("(Workshop time) is approved")
        file_request(page, live_server, round_url, first,
                     f"{name} needs *{first} hours* for its December builds.")
        people.append(page)

    # The needs board points the three waiting projects at the round.
    people[0].goto(live_server + "/needs")
    expect(people[0].get_by_role("link", name="Workshop hours, December, round 1")) \
        .to_be_visible()

    tick(make_app, live_server, opened + timedelta(days=3, hours=1))
    bike = people[0]
    bike.goto(live_server + round_url)
    expect(bike.locator("table.iterations tbody tr").first).to_contain_text("1.5")
    expect(bike.locator("#round-state")).to_contain_text("150 hour of 100 hour available")
    mine = bike.locator("#request-bike-kitchen")
    expect(mine).to_contain_text("share 40")  # 60 of 150, cut to 100
    expect(mine.locator("em", has_text="60 hours")).to_be_visible()  # Markdown, rendered
    # Iteration 1 as published and 2 as the carried requests stand: both past the stock.
    expect(bike.locator("svg.pool-chart g.iteration")).to_have_count(2)
    expect(bike.locator("svg.pool-chart g.iteration").first.locator("rect.excess")) \
        .to_have_count(1)
    screenshot(bike, "pools-round-pressure")
    assert problems_on(bike, "round page") == []

    for page, (_, _, _, revised) in zip(people, PROJECTS, strict=True):
        file_request(page, live_server, round_url, revised, "Revised after seeing the pressure.")
    expect(people[2].locator("#round-state")).to_contain_text("100 hour")

    tick(make_app, live_server, opened + timedelta(days=6, hours=2))
    for page, (_, slug, _, revised) in zip(people, PROJECTS, strict=True):
        page.goto(f"{live_server}/projects/{slug}/ledger")
        received = page.locator("table.from-pools")
        expect(received).to_contain_text("Workshop hours, December, round 1")
        expect(received).to_contain_text(f"{revised} hour")
        page.goto(f"{live_server}/projects/{slug}/inputs/1")
        expect(page.locator("table.pledges")).to_contain_text("maker")
        expect(page.locator("table.pledges")).to_contain_text(revised)
    maker.goto(live_server + round_url)
    expect(maker.locator("#round-state")).to_contain_text("Allocated")
    expect(maker.locator("#allocation-summary")).to_contain_text("100 hour allocated among 3")
    for _, slug, _, revised in PROJECTS:
        expect(maker.locator(f"#request-{slug}")).to_contain_text(f"{revised} hour")
    screenshot(maker, "pools-round-allocated")
    assert problems_on(maker, "allocated round") == []
    maker.goto(pool_url)
    assert problems_on(maker, "pool page") == []
