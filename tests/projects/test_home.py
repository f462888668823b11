"""A project's home: what it shows an anonymous visitor, a member and a
logged-in non-member (open proposals with the viewer's stance, open needs
with progress, recent activity, how to contribute, the primary action),
its settings page, and how few queries it takes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from commons.extensions import db
from tests.conftest import Browser

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def app(make_app):
    return make_app(CLOCK=Clock())


@pytest.fixture
def scene(app):
    """ada founds "Dryer" and opens a proposal and two needs; bo joins and
    supports the proposal; cy has an account only; anon has none."""
    ada, bo, cy, anon = (Browser(app.test_client()) for _ in range(4))
    assert ada.register("ada").status_code == 302
    assert ada.create_project(name="Dryer", slug="dryer", threshold_amount="1000",
                              threshold_currency="EUR").status_code == 302
    assert bo.register("bo").status_code == 302
    assert bo.button("/projects/dryer", "/projects/dryer/join").status_code == 302
    assert cy.register("cy").status_code == 302
    page = "/projects/dryer/proposals/new"
    assert ada.submit(page, {"kind": "decision", "title": "Paint it green",
                             "body": "Green hides the dust."}).status_code == 302
    assert ada.submit(page, {"kind": "decision", "title": "Meet on Fridays",
                             "body": ""}).status_code == 302
    assert bo.submit("/projects/dryer/proposals/1", {"stance": "support", "reason": ""},
                     action="/projects/dryer/proposals/1/stance").status_code == 302
    for title, quantity, unit in (("PLA filament", "20", "kg"), ("Plywood", "5", "kg"),
                                  ("Hinges", "4", "piece")):
        assert ada.submit("/projects/dryer/inputs/new", {
            "title": title, "kind": "material", "quantity": quantity, "unit": unit,
            "unit_cost": "", "currency": "", "needed_by": "", "description": ""},
        ).status_code == 302
    assert cy.submit("/projects/dryer/inputs/1", {"pledge-quantity": "5", "pledge-note": ""},
                     action="/projects/dryer/inputs/1/pledges").status_code == 302
    return ada, bo, cy, anon


def html(browser: Browser, url: str = "/projects/dryer") -> str:
    response = browser.client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def section(page: str, heading: str) -> str:
    return page.split(f'id="{heading}"', 1)[1].split("</section>", 1)[0]


def test_an_anonymous_visitor_sees_what_is_going_on_and_is_asked_to_log_in(app, scene):
    *_, anon = scene
    page = html(anon)
    proposals = section(page, "proposals-heading")
    assert "#1 Paint it green</a>" in proposals and "#2 Meet on Fridays</a>" in proposals
    assert "closes <time datetime=" in proposals and ">in 3 days</time>" in proposals
    assert "Your stance" not in proposals and "No stance from you" not in proposals
    needs = section(page, "needs-heading")
    assert "#1 PLA filament</a>" in needs and "#3 Hinges</a>" in needs
    assert "0 of 20 kg received, 5 kg pledged; 15 kg still needed" in needs
    # kg share a scale: 5 kg of plywood is a quarter of the 20 kg filament's track.
    tracks = re.findall(r'<rect class="track" x="0" y="1" width="([\d.]+)%"', needs)
    assert tracks == ["100.0", "25.0", "100.0"]
    assert '<rect class="pledged" x="0.0%" y="1" width="25.0%"' in needs
    assert "Pledged, not yet received (striped)" in needs  # the legend
    activity = section(page, "activity-heading")
    # Newest first: cy's pledge, the needs, ada's founding.
    assert activity.index("cy pledges 5 kg") < activity.index("Needs 4 piece")
    assert 'href="/users/bo">bo</a> became a member' in activity
    assert "Log in</a> to join, propose or pledge" in page
    contribute = section(page, "contribute-heading")
    assert "Anyone can join." in contribute and "Proposals stay open 72 hours" in contribute
    assert "git push origin HEAD:refs/for/main" in contribute
    assert "<h3>Dryer</h3>" in section(page, "readme-heading")
    assert "/projects/dryer/leave" not in page and "/projects/dryer/settings" not in page


def test_a_member_sees_their_stances_and_is_offered_to_propose(app, scene):
    ada, bo, *_ = scene
    page = html(bo)
    proposals = section(page, "proposals-heading")
    first, second = proposals.split("#2 Meet on Fridays", 1)
    assert "Your stance: support" in first and "No stance from you yet" in second
    assert "1 open proposal without your stance below" in page
    assert ">Propose a change</a>" in page and ">Add a need</a>" in page
    assert ">Pledge to a need</a>" in page
    assert 'href="/projects/dryer/settings"' in page
    assert "git push origin my-change" in page  # review: a branch, then a proposal
    assert "refs/for/" not in section(page, "contribute-heading")
    assert "No stance from you yet" in html(ada)


def test_a_non_member_is_offered_to_join_and_pledge(app, scene):
    _ada, _bo, cy, _anon = scene
    page = html(cy)
    assert ">Join Dryer</button>" in page and "Joining makes you a member at once." in page
    assert ">Pledge to a need</a>" in page
    assert ">Propose a change</a>" not in page and "No stance from you" not in page
    assert "git push origin HEAD:refs/for/main" in page


def test_a_closed_project_says_only_members_propose_and_asks_to_join(app, browser):
    browser.register("ada")
    browser.create_project(admission="consent", outside="refuse")
    other = Browser(app.test_client())
    other.register("cy")
    page = html(other, "/projects/solar-dryer")
    assert ">Ask to join Solar dryer</button>" in page
    assert "Joining opens a membership proposal" in page
    assert "Only members may propose changes." in page and "refs/for/" not in page
    assert "Nothing is needed right now." in page and "No proposal is open." in page


def test_settings_are_for_members_only(app, scene):
    ada, _bo, cy, anon = scene
    assert anon.client.get("/projects/dryer/settings").status_code == 302
    refused = cy.client.get("/projects/dryer/settings")
    assert refused.status_code == 403
    assert "Only members of Dryer have its settings" in refused.get_data(as_text=True)
    page = html(ada, "/projects/dryer/settings")
    assert 'href="/projects/dryer/settings/webhooks"' in page
    assert "Yes, leave Dryer" in page and 'aria-current="page">Settings</a>' in page
    assert "<h1>Dryer</h1>" in page


def test_the_home_takes_few_queries_however_many_proposals_and_needs(app, scene):
    ada, bo, *_ = scene
    for n in range(12):
        ada.submit("/projects/dryer/proposals/new",
                   {"kind": "decision", "title": f"More {n}", "body": ""})
        ada.submit("/projects/dryer/inputs/new", {
            "title": f"Part {n}", "kind": "material", "quantity": "1", "unit": "kg",
            "unit_cost": "", "currency": "", "needed_by": "", "description": ""})
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = html(bo)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert "(14 open)" in section(page, "proposals-heading")
    assert "(15 open)" in section(page, "needs-heading")
    # Login, unread count, project, members, 2 for proposals, stances, 2 for
    # needs, the activity (+ refs of pushes), inputs named: bounded, not per
    # row (11 here).
    assert len(statements) <= 12, "\n".join(statements)


def test_a_proposal_past_its_close_is_being_carried_out(app, scene):
    *_, anon = scene
    app.config["CLOCK"].now = T0 + timedelta(days=4)
    assert "closed, being carried out" in section(html(anon), "proposals-heading")


def test_pushes_and_decisions_show_in_the_activity_newest_first(app, scene):
    from commons.accounts.models import User
    from commons.git.models import Push, PushedRef
    from commons.governance.models import Proposal
    from commons.projects.models import Project
    *_, anon = scene
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.slug == "dryer"))
        bo = db.session.scalar(sa.select(User).where(User.username == "bo"))
        # A push record as the reconciler writes it (the demo writes them so too).
        push = Push(project_id=project.id, user_id=bo.id, pushed_at=T0 + timedelta(minutes=5))
        push.ref_updates = [PushedRef(ref="refs/heads/frame", old_sha="0" * 40,
                                      new_sha="a" * 40)]
        db.session.add(push)
        decided = db.session.scalar(sa.select(Proposal).where(Proposal.number == 2))
        decided.status, decided.decided_at = "passed", T0 + timedelta(minutes=10)
        db.session.commit()
    activity = section(html(anon), "activity-heading")
    assert activity.index(">passed</span>") < activity.index(">push</span>")
    assert 'href="/projects/dryer/proposals/2">#2 Meet on Fridays</a>' in activity
    assert re.search(r'<a href="/users/bo">bo</a>\s+pushed to '
                     r'<a href="/projects/dryer/commits/frame">frame</a>', activity)


def test_a_push_shows_its_first_three_refs_in_order_and_an_account_gone_as_someone(app, scene):
    from commons.git.models import Push, PushedRef
    from commons.projects.models import Project
    *_, anon = scene
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.slug == "dryer"))
        push = Push(project_id=project.id, user_id=None, pushed_at=T0 + timedelta(minutes=5))
        push.ref_updates = [PushedRef(ref=ref, old_sha="0" * 40, new_sha="a" * 40)
                            for ref in ("refs/heads/zeta", "refs/tags/v1", "refs/heads/alpha",
                                        "refs/heads/beta")]
        db.session.add(push)
        db.session.commit()
    activity = section(html(anon), "activity-heading")
    assert re.search(r'Someone\s+pushed to <a href="/projects/dryer/commits/zeta">zeta</a>, '
                     r'tag v1, <a href="/projects/dryer/commits/alpha">alpha</a> and 1 more',
                     activity), activity


def test_a_visitor_s_second_view_reads_the_kept_home_until_anything_changes(app, scene):
    """An anonymous home is kept under the data's generation
    (commons.generations): a second view reads the project alone; a write
    anywhere shows on the next view. Responses are closed, as a server
    closes them: what a page keeps is written then."""
    ada, bo, cy, anon = scene
    with app.app_context():
        engine = db.engine

    def view() -> tuple[str, list[str]]:
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            with anon.client.get("/projects/dryer") as response:
                assert response.status_code == 200
                page = response.get_data(as_text=True)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return page, statements

    first, computed = view()
    second, kept = view()
    assert len(computed) >= 6 and len(kept) == 1, "\n".join(kept)
    assert second == first
    assert "Paint it green" in section(second, "proposals-heading")

    assert ada.submit("/projects/dryer/proposals/new", {
        "kind": "decision", "title": "Sand the frame", "body": ""}).status_code == 302
    page, statements = view()
    assert len(statements) >= 6
    assert "Sand the frame" in section(page, "proposals-heading")
    # A journal entry naming an input, read back from what was kept.
    assert ada.submit("/projects/dryer/inputs/new", {
        "title": "Linseed oil", "kind": "material", "quantity": "1", "unit": "l",
        "unit_cost": "", "currency": "", "needed_by": "", "description": ""}).status_code == 302
    fresh, _ = view()
    again, statements = view()
    assert len(statements) == 1 and again == fresh
    assert "(Linseed oil)" in again
    # Past midnight the needs open "today" are read again, with no write.
    view()
    app.config["CLOCK"].now = T0 + timedelta(days=1)
    _, statements = view()
    assert len(statements) >= 6
    # A member's home is never the visitor's: their stances are read.
    assert "Sand the frame" in html(bo)
