"""The pool pages driven through their real forms with CSRF tokens: offering
a pool, the steward's forms, a round's requests per iteration, the chart
and the allocation, who may do what, and what bad input gives back; the
needs board's link to a round and the project ledger's "Received from
pools"."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from commons import jobs
from commons.extensions import db
from commons.pools.models import Pool, PoolEntry, PoolRequest
from tests.conftest import Browser

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


def text_of(response) -> str:
    """The page's text, tags dropped and spaces folded, as a reader sees it."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def pool_form(**fields) -> dict:
    return {"title": "Workshop hours, December", "description": "The big room.",
            "kind": "resource", "available": "100", "unit": "hour", "currency": "",
            "period": "2026-12", "steward_project": "me", "eligibility": "any",
            "eligible": "", "contested_rule": "proportional", **fields}


def request_form(project: str, quantity: str, numbers=(1,), why="") -> dict:
    return {"request-project": project, "request-quantity": quantity,
            "request-input_numbers": [str(n) for n in numbers],
            "request-justification": why}


def add_need(person: Browser, slug: str, quantity: str):
    response = person.submit(f"/projects/{slug}/inputs/new", {
        "title": "Workshop time", "kind": "space", "quantity": quantity, "unit": "hour",
        "unit_cost": "", "currency": "", "needed_by": "", "description": ""})
    assert response.status_code == 302, text_of(response)


def closes(app, clock, **delta) -> None:
    """Move the clock past a close and run the worker's sweep there, as the
    minute's job would (QUEUE_URL=immediate runs it here)."""
    clock.advance(**delta)
    with app.app_context():
        jobs.enqueue("pools.sweep")


@pytest.fixture
def world(app):
    """maker offers a pool of 100 workshop hours and opens a round of two
    3-day iterations; ada (Bikes), bo (Looms) each have a project with a
    need for workshop time; cy has an account and no project."""
    people = {name: Browser(app.test_client()) for name in ("maker", "ada", "bo", "cy")}
    for name, person in people.items():
        assert person.register(name).status_code == 302
    for name, project, quantity in (("ada", "bikes", "60"), ("bo", "looms", "100")):
        assert people[name].create_project(name=project.title(), slug=project).status_code == 302
        add_need(people[name], project, quantity)
    made = people["maker"].submit("/pools/new", pool_form())
    assert made.status_code == 302, text_of(made)
    pool_url = made.headers["Location"]
    opened = people["maker"].submit(pool_url, {"round-iterations": "2",
                                               "round-iteration_days": "3"},
                                    action=pool_url + "/rounds")
    assert opened.status_code == 302, text_of(opened)
    return SimpleNamespace(**people, pool=pool_url, round=opened.headers["Location"],
                           anon=Browser(app.test_client()))


def test_offering_a_pool_shows_it_listed_with_its_history(app, world):
    listed = world.anon.client.get("/pools")
    assert "Workshop hours, December" in text_of(listed)
    page = text_of(world.anon.client.get(world.pool))
    assert "100 hour available for 2026-12" in page
    assert "Steward: maker" in page
    assert "Offered 100 hour" in page and "Opened round 1: 2 iterations of 3 days" in page
    # Only the steward sees the steward's forms.
    assert 'id="round-form"' not in world.ada.client.get(world.pool).get_data(as_text=True)
    assert 'id="availability-form"' in world.maker.client.get(world.pool).get_data(as_text=True)


def test_a_bad_pool_comes_back_filled_in_and_writes_nothing(app, world):
    response = world.maker.submit("/pools/new", pool_form(title="Filament", available="-5"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Filament"' in html and 'value="-5"' in html
    assert 'class="error"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pool)) == 1


def test_only_the_steward_changes_a_pool(app, world):
    refused = world.ada.submit(world.pool, {"availability-available": "10",
                                            "availability-reason": "mine now"},
                               action=world.pool + "/availability")
    assert refused.status_code == 403
    assert "Only the steward" in text_of(refused)
    anonymous = world.anon.submit("/login", {"close-reason": "x"}, action=world.pool + "/close")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(Pool.available)) == Decimal(100)
        assert db.session.scalar(sa.select(Pool.closed_at)) is None


def test_a_form_without_its_csrf_token_is_refused(app, world):
    response = world.maker.client.post(world.pool + "/availability", data={
        "availability-available": "80", "availability-reason": "the lathe is broken"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(Pool.available)) == Decimal(100)


def test_the_steward_lowers_availability_and_the_history_says_so(app, world):
    response = world.maker.submit(world.pool, {"availability-available": "80",
                                               "availability-reason": "The lathe is broken"},
                                  action=world.pool + "/availability")
    assert response.status_code == 302
    page = text_of(world.anon.client.get(world.pool))
    assert "80 hour available" in page
    assert "Available changed from 100 hour to 80 hour: The lathe is broken" in page


def test_requests_show_the_pressure_at_the_close_and_revisions_stay_below(app, clock, world):
    assert world.ada.submit(world.round, request_form(
        "bikes", "60", why="Wheels for *thirty* kids <script>alert(1)</script>"),
        action=world.round + "/request").status_code == 302
    assert world.bo.submit(world.round, request_form("looms", "90"),
                           action=world.round + "/request").status_code == 302
    live = text_of(world.anon.client.get(world.round))
    assert "Requested so far: 150 hour of 100 hour available, excess demand ratio 1.5" in live

    closes(app, clock, days=3, minutes=1)
    page = world.anon.client.get(world.round)
    html = page.get_data(as_text=True)
    shown = text_of(page)
    assert "Iteration 2 of 2" in shown
    assert "Requested so far: 150 hour of 100 hour available, excess demand ratio 1.5" in shown
    # Each project's row: what it asked in each iteration, and its share at the close.
    assert re.search(r'<tr id="request-bikes">.*?60 hour<br><span class="meta">share '
                     r'40</span>.*?60 hour</td>', html, re.S)
    # The justification is Markdown, made safe.
    assert "<em>thirty</em>" in html and "<script>alert" not in html
    # The chart: its title and description, the excess striped, the figures in a table.
    assert "<title id=\"pool-chart-title\">" in html and 'class="excess"' in html
    assert re.search(r"<th scope=\"row\">1</th>\s*<td class=\"num\">100 hour</td>\s*"
                     r"<td class=\"num\">150 hour</td>\s*<td class=\"num\">1.5</td>", html)

    # A request may not rise above the previous iteration's: 422, kept, nothing written.
    higher = world.ada.submit(world.round, request_form("bikes", "70", why="more please"),
                              action=world.round + "/request")
    assert higher.status_code == 422
    kept = higher.get_data(as_text=True)
    assert 'value="70"' in kept and "more please" in kept and 'class="error"' in kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.max(PoolRequest.quantity))
                                 .where(PoolRequest.iteration == 2,
                                        PoolRequest.project.has(slug="bikes"))) == 60


def test_who_may_file_a_request(app, world):
    # cy is no member of Bikes: 403, nothing written.
    refused = world.cy.submit(world.round, request_form("bikes", "5"),
                              action=world.round + "/request")
    assert refused.status_code == 403
    assert world.anon.client.get(world.round).status_code == 200
    assert "Log in" in text_of(world.anon.client.get(world.round))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest)) == 0


@pytest.mark.parametrize("quantity", ["0", "-3", "lots"])
def test_a_request_that_is_not_a_positive_amount_is_422(app, world, quantity):
    response = world.ada.submit(world.round, request_form("bikes", quantity),
                                action=world.round + "/request")
    assert response.status_code == 422
    assert f'value="{quantity}"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolRequest)) == 0


def test_withdrawing_a_request(app, world):
    world.ada.submit(world.round, request_form("bikes", "60"), action=world.round + "/request")
    response = world.ada.submit(world.round, {"project": "bikes"},
                                action=world.round + "/withdrawal")
    assert response.status_code == 302
    assert "withdrawn" in text_of(world.anon.client.get(world.round))
    # Someone else's project: 403.
    assert world.cy.submit(world.round, {"project": "looms"},
                           action=world.round + "/withdrawal").status_code == 403


def test_the_allocation_lands_in_each_ledger_and_the_board_links_the_round(app, clock, world):
    board = world.anon.client.get("/needs").get_data(as_text=True)
    assert world.round in board  # two projects wait for workshop hours: the open round
    world.ada.submit(world.round, request_form("bikes", "60"), action=world.round + "/request")
    world.bo.submit(world.round, request_form("looms", "50"), action=world.round + "/request")
    closes(app, clock, days=3, minutes=1)
    world.ada.submit(world.round, request_form("bikes", "50"), action=world.round + "/request")
    world.bo.submit(world.round, request_form("looms", "30"), action=world.round + "/request")
    closes(app, clock, days=3, minutes=1)
    page = text_of(world.anon.client.get(world.round))
    assert "Allocated" in page
    ledger = text_of(world.anon.client.get("/projects/bikes/ledger"))
    assert "Allocated from pools" in ledger
    assert "Workshop hours, December, round 1 50 hour input #1" in ledger
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PoolEntry)
                                 .where(PoolEntry.action == "round_settled")) == 1


def test_the_requests_come_a_page_at_a_time_by_name(app, world):
    from commons.pools import reading

    world.bo.submit(world.round, request_form("looms", "50"), action=world.round + "/request")
    world.ada.submit(world.round, request_form("bikes", "60"), action=world.round + "/request")
    with app.app_context():
        pool = reading.get_pool(db.session, int(world.pool.rsplit("/", 1)[1]))
        found = reading.get_round(db.session, pool, 1)
        first = reading.round_page(db.session, pool, found, limit=1)
        assert [row.project.slug for row in first.rows] == ["bikes"] and first.projects == 2
        second = reading.round_page(db.session, pool, found, first.next_key, limit=1)
        assert [row.project.slug for row in second.rows] == ["looms"]
        assert second.next_key is None
        # The figures count every project, whatever the page.
        assert first.iterations[0].requested == second.iterations[0].requested == 110
    forged = world.anon.client.get(world.round + "?cursor=not-a-cursor")
    assert forged.status_code == 400


def test_a_contested_round_s_proposal_links_back_to_the_round(app, clock, world):
    from commons.governance.models import Proposal
    from commons.pools.models import PoolRound

    # The round of the world is the lathe's; this pool decides by proposal.
    made = world.maker.submit("/pools/new", pool_form(title="Loom hours",
                                                      contested_rule="proposal"))
    assert made.status_code == 302, text_of(made)
    pool_url = made.headers["Location"]
    opened = world.maker.submit(pool_url, {"round-iterations": "1", "round-iteration_days": "3"},
                                action=pool_url + "/rounds")
    round_url = opened.headers["Location"]
    for person, slug, quantity in ((world.ada, "bikes", "60"), (world.bo, "looms", "100")):
        filed = person.submit(round_url, request_form(slug, quantity),
                              action=round_url + "/request")
        assert filed.status_code == 302, text_of(filed)
    closes(app, clock, days=3, minutes=1)
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).join(
            PoolRound, PoolRound.proposal_id == Proposal.id))
        page = f"/projects/{proposal.project.slug}/proposals/{proposal.number}"
    assert "a proposal among the requesting projects decides" in text_of(
        world.anon.client.get(round_url))
    shown = world.anon.client.get(page).get_data(as_text=True)
    assert f'href="{round_url}"' in shown
