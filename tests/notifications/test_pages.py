"""The inbox, the header's unread count, marking read, the settings page
and the API, as a person and a client use them."""

import re

import pytest

from tests.conftest import Browser, bearer
from tests.governance.conftest import Clock


@pytest.fixture
def site(make_app, token_for):
    """alice founded "dryer"; bob and carol are members. Each has a token
    and a logged-in browser."""
    clock = Clock()
    app = make_app(CLOCK=clock, BASE_URL="https://commons.example")
    client = app.test_client()
    tokens = {name: token_for(name) for name in ("alice", "bob", "carol")}
    assert client.post("/api/v1/projects", headers=bearer(tokens["alice"]), json={
        "name": "Dryer", "slug": "dryer", "license": "MIT"}).status_code == 201
    for name in ("bob", "carol"):
        assert client.post("/api/v1/projects/dryer/join",
                           headers=bearer(tokens[name])).status_code == 201
    browsers = {}
    for name in tokens:
        browsers[name] = Browser(app.test_client())
        browsers[name].login(name)
    return app, client, tokens, browsers, clock


def propose(client, token, title):
    answer = client.post("/api/v1/projects/dryer/proposals", headers=bearer(token),
                         json={"kind": "decision", "title": title})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["number"]


def badge(browser) -> str | None:
    """The unread count beside Inbox in the header, or None."""
    html = browser.client.get("/projects").get_data(as_text=True)
    found = re.search(r'<a href="/inbox"[^>]*>Inbox <span class="badge badge-count">(\d+)'
                      r'<span class="visually-hidden"> unread</span>', html)
    return found.group(1) if found else None


def test_the_inbox_lists_what_waits_for_a_stance_first_then_unread_then_read(site):
    app, client, tokens, browsers, clock = site
    propose(client, tokens["alice"], "Paint it green")
    clock.advance(hours=1)
    propose(client, tokens["alice"], "Add a second tray")
    client.post("/api/v1/projects/dryer/proposals/2/stances", headers=bearer(tokens["bob"]),
                json={"stance": "support"})
    bob = browsers["bob"]
    html = bob.client.get("/inbox").get_data(as_text=True)
    waiting, unread = html.index("Waiting for your stance"), html.index("Unread notifications")
    assert waiting < html.index("#1 Paint it green") < unread  # no stance on #1 yet
    assert "71 h 0 min left" in html or "2 days left" in html
    assert html.index("#2 Add a second tray") > unread  # his stance is taken on #2
    assert html.index("alice opened #2 Add a second tray") < html.index("alice opened #1")
    assert badge(bob) == "2"
    # Mark one read: it moves below, to "Read", and the count drops.
    # The first "Mark read" is the newest's.
    action = re.search(r'action="(/inbox/\d+/read)"', bob.client.get("/inbox").get_data(
        as_text=True)).group(1)
    bob.submit("/inbox", {}, action=action)
    html = bob.client.get("/inbox").get_data(as_text=True)
    assert html.index('id="read-heading"') < html.index("alice opened #2")
    assert badge(bob) == "1"
    bob.submit("/inbox", {"up_to": "999999"}, action="/inbox/read")
    assert badge(bob) is None
    assert "No unread notifications." in bob.client.get("/inbox").get_data(as_text=True)


def test_marking_read_needs_the_form_and_the_owner(site):
    app, client, tokens, browsers, clock = site
    propose(client, tokens["alice"], "Paint it green")
    bob, carol = browsers["bob"], browsers["carol"]
    assert bob.client.post("/inbox/read").status_code == 400  # no CSRF token
    assert badge(bob) == "1"
    ids = client.get("/api/v1/notifications", headers=bearer(tokens["bob"])).get_json()
    bobs = ids["notifications"][0]["id"]
    carol.submit("/inbox", {}, action=f"/inbox/{bobs}/read")
    assert badge(bob) == "1"  # carol cannot mark bob's


def test_the_settings_page_sets_the_mode_and_each_project(site):
    app, client, tokens, browsers, clock = site
    bob = browsers["bob"]
    assert 'href="/settings/notifications"' in bob.client.get("/settings").get_data(as_text=True)
    page = bob.client.get("/settings/notifications").get_data(as_text=True)
    assert "At once for what affects me" in page and "Dryer" in page
    answer = bob.submit("/settings/notifications", {"mode": "none"})
    assert answer.status_code == 302
    bad = bob.submit("/settings/notifications", {"mode": "hourly"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    field = re.search(r'name="(p\d+-level)"', page).group(1)
    level = bob.submit("/settings/notifications", {field: "ignore"},
                       action="/settings/notifications/projects/dryer")
    assert level.status_code == 302
    page = bob.client.get("/settings/notifications").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="none"', page)
    assert '<option selected value="ignore">' in page
    propose(client, tokens["alice"], "Paint it green")
    [notice] = client.get("/api/v1/notifications",
                          headers=bearer(tokens["bob"])).get_json()["notifications"]
    assert notice["channel"] == "inbox"


def test_the_api_lists_and_marks_read(site):
    app, client, tokens, browsers, clock = site
    for n in range(3):
        propose(client, tokens["alice"], f"Idea {n}")
    bob = bearer(tokens["bob"])
    first = client.get("/api/v1/notifications?limit=2", headers=bob)
    assert first.status_code == 200
    body = first.get_json()
    assert body["unread"] == 3
    assert [p["number"] for p in body["waiting"]] == [1, 2, 3]
    assert [n["text"] for n in body["notifications"]] == ["alice opened #3 Idea 2 in Dryer",
                                                           "alice opened #2 Idea 1 in Dryer"]
    assert body["notifications"][0]["url"] == "https://commons.example/projects/dryer/proposals/3"
    assert body["notifications"][0]["proposal"] == 3
    assert first.headers["Link"] == f'<{body["next"]}>; rel="next"'
    second = client.get(body["next"], headers=bob).get_json()
    assert [n["proposal"] for n in second["notifications"]] == [1]
    assert second["next"] is None and second["waiting"] == []
    newest = body["notifications"][0]["id"]
    one = client.post(f"/api/v1/notifications/{newest}/read", headers=bob)
    assert one.status_code == 200 and one.get_json()["read_at"]
    others = client.post(f"/api/v1/notifications/{newest}/read",
                         headers=bearer(tokens["carol"]))
    assert others.status_code == 404
    unread = client.get("/api/v1/notifications?unread=true", headers=bob).get_json()
    assert [n["proposal"] for n in unread["notifications"]] == [2, 1]
    marked = client.post("/api/v1/notifications/read", headers=bob, json={"all": True})
    assert marked.get_json() == {"marked": 2, "unread": 0}
    assert client.post("/api/v1/notifications/read", headers=bob, json={}).status_code == 422
    assert client.get("/api/v1/notifications").status_code == 401


def test_the_api_marks_chosen_ids_or_none_of_them(site):
    app, client, tokens, browsers, clock = site
    propose(client, tokens["alice"], "One")
    propose(client, tokens["alice"], "Two")
    bob, carol = bearer(tokens["bob"]), bearer(tokens["carol"])
    bobs = [n["id"] for n in client.get("/api/v1/notifications", headers=bob)
            .get_json()["notifications"]]
    carols = client.get("/api/v1/notifications", headers=carol).get_json()["notifications"]
    mixed = client.post("/api/v1/notifications/read", headers=bob,
                        json={"ids": [bobs[0], carols[0]["id"]]})
    assert mixed.status_code == 404
    assert client.get("/api/v1/notifications", headers=bob).get_json()["unread"] == 2
    chosen = client.post("/api/v1/notifications/read", headers=bob, json={"ids": [bobs[1]]})
    assert chosen.get_json() == {"marked": 1, "unread": 1}


def test_the_header_counts_with_one_query(site, monkeypatch):
    import sqlalchemy as sa

    from commons.extensions import db
    app, client, tokens, browsers, clock = site
    propose(client, tokens["alice"], "Paint it green")
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

        def note(conn, cursor, statement, *args):
            if "notifications" in statement:
                seen.append(statement)
        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            assert badge(browsers["bob"]) == "1"
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
    assert len(seen) == 1 and "count(" in seen[0].lower()
    assert badge(Browser(app.test_client())) is None  # nobody logged in: no count

