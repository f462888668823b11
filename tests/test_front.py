"""The front page, the glossary and the Markdown preview (issue 17)."""

import re
from datetime import UTC, datetime

import pytest

from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services as ledger
from tests.conftest import Browser
from tests.governance.conftest import Clock, Scene


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scene(make_app, tmp_path, clock):
    app = make_app(CLOCK=clock)
    with app.app_context():
        yield Scene(app, tmp_path, clock)


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]+>)?([\d,]+)", html))


def decide_a_decision(scene, project, author, title: str, opened: datetime) -> None:
    scene.clock.now = opened
    governance.open_proposal(db.session, project, author, "decision", title, "", {},
                             scene.settings(), opened)
    db.session.commit()
    scene.clock.advance(hours=project.review_window // 3600 + 1)
    scene.tick()
    db.session.commit()


def test_the_front_page_counts_projects_open_needs_and_this_months_decisions(scene, clock):
    client = scene.app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert figures(html) == {"Projects": "0", "Open needs": "0", "Decisions this month": "0"}
    assert html.count("<h1") == 1
    assert 'href="/register"' in html and 'href="/projects"' in html and 'href="/needs"' in html

    alice = scene.person("alice")
    project = scene.project(alice)
    ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title="Jute twine", kind="material", quantity="3", unit="piece"), clock())
    db.session.commit()
    # One decided in February, one in March.
    decide_a_decision(scene, project, alice, "Meet on Mondays", datetime(2026, 2, 20, tzinfo=UTC))
    decide_a_decision(scene, project, alice, "Paint it green", datetime(2026, 3, 2, tzinfo=UTC))
    # A withdrawal is no decision.
    clock.now = datetime(2026, 3, 10, tzinfo=UTC)
    withdrawn = governance.open_proposal(db.session, project, alice, "decision", "Never mind",
                                         "", {}, scene.settings(), clock())
    governance.withdraw_proposal(db.session, withdrawn, alice, clock())
    db.session.commit()
    clock.now = datetime(2026, 3, 15, 9, tzinfo=UTC)
    html = client.get("/").get_data(as_text=True)
    assert figures(html) == {"Projects": "1", "Open needs": "1", "Decisions this month": "1"}
    clock.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)  # a new month: none yet
    assert figures(client.get("/").get_data(as_text=True))["Decisions this month"] == "0"


def test_the_front_page_asks_few_queries(scene):
    from sqlalchemy import event
    statements = []
    engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert scene.app.test_client().get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 4


def test_the_glossary_explains_each_term_and_the_footer_links_it(scene):
    client = scene.app.test_client()
    html = client.get("/glossary").get_data(as_text=True)
    for term in ("lazy-consensus", "proposal", "stance", "consent", "objection",
                 "standing-objection", "standing", "review-window", "input", "need", "pledge",
                 "receipt", "journal", "member", "outsider-proposal", "contributor-record"):
        assert f'id="{term}"' in html, term
        assert f'href="#{term}"' in html, term
    assert html.count("<h1") == 1
    assert 'href="/glossary">Glossary</a>' in client.get("/projects").get_data(as_text=True)


def test_preview_renders_sanitised_markdown_for_people_logged_in(scene):
    scene.person("alice")
    browser = Browser(scene.app.test_client())
    assert browser.client.post("/preview", data={"text": "x"}).status_code in (302, 400, 401)
    assert browser.login("alice", "x" * 12).status_code == 302
    html = browser.client.get("/settings").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    # Without the CSRF token: refused.
    assert browser.client.post("/preview", data={"text": "**x**"}).status_code == 400
    done = browser.client.post("/preview", data={
        "text": "# Plan\n**bold** <img src=x onerror=alert(1)> [a](javascript:alert(1))",
        "csrf_token": token})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and done.mimetype == "text/html"
    assert "<strong>bold</strong>" in body and "<h3>Plan</h3>" in body
    assert not re.search(r"<[^>]*onerror", body) and 'href="javascript' not in body
    empty = browser.client.post("/preview", data={"text": "  ", "csrf_token": token})
    assert "Nothing to preview yet" in empty.get_data(as_text=True)
    long = browser.client.post("/preview", data={"text": "x" * 20001, "csrf_token": token})
    assert long.status_code == 413
