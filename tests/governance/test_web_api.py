"""Proposals through the pages and the API."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.conftest import TEST_PASSWORD, Browser, basic, bearer, worker_decides
from tests.governance.conftest import Clock


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


@pytest.fixture
def people(app):
    client = app.test_client()
    runner = app.test_cli_runner()
    tokens = {}
    for name in ("alice", "bob", "dave"):
        runner.invoke(args=["users", "create", name, f"{name}@example.org", "--password",
                            TEST_PASSWORD])
        tokens[name] = client.post("/api/v1/tokens", json={"name": "t"},
                                   headers=basic(name, TEST_PASSWORD)).get_json()["token"]
    client.post("/api/v1/projects", json={"name": "Dryer", "slug": "dryer", "license": "MIT"},
                headers=bearer(tokens["alice"]))
    client.post("/api/v1/projects/dryer/join", headers=bearer(tokens["bob"]))
    return client, tokens


def test_decision_through_the_api_from_opening_to_passing(app, people, clock):
    client, tokens = people
    opened = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                         json={"kind": "decision", "title": "Paint it green",
                               "body": "<script>alert(1)</script>\n\nBecause *green*."})
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    assert body["number"] == 1 and body["status"] == "open"
    assert body["closes_at"].startswith("2026-03-04T12:00:00")
    supported = client.post("/api/v1/projects/dryer/proposals/1/stances",
                            headers=bearer(tokens["bob"]), json={"stance": "support"})
    assert supported.status_code == 201 and supported.get_json()["stance"] == "support"
    no_reason = client.post("/api/v1/projects/dryer/proposals/1/stances",
                            headers=bearer(tokens["bob"]), json={"stance": "object"})
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.get_json()["error"]
    outsider = client.post("/api/v1/projects/dryer/proposals/1/stances",
                           headers=bearer(tokens["dave"]), json={"stance": "object", "reason": "x"})
    assert outsider.status_code == 403
    assert client.delete("/api/v1/projects/dryer/proposals/1/stances/mine",
                         headers=bearer(tokens["dave"])).status_code == 404
    assert client.get("/api/v1/projects/dryer/proposals/1").get_json()["being_carried_out"] \
        is False
    clock.advance(hours=72)
    # Closed, and no worker has decided it yet: reads say so and decide nothing.
    for _ in range(2):
        waiting = client.get("/api/v1/projects/dryer/proposals/1").get_json()
        assert (waiting["status"], waiting["being_carried_out"]) == ("open", True)
    assert "closed, being carried out" in client.get("/projects/dryer/proposals/1").get_data(
        as_text=True)
    assert "closed, being carried out" in client.get("/projects/dryer/proposals").get_data(
        as_text=True)
    worker_decides(app)
    read = client.get("/api/v1/projects/dryer/proposals/1").get_json()
    assert read["status"] == "passed" and read["tally"] == {"support": 1, "abstain": 0, "object": 0}
    assert read["being_carried_out"] is False
    assert "closed, being carried out" not in client.get("/projects/dryer/proposals/1") \
        .get_data(as_text=True)
    late = client.post("/api/v1/projects/dryer/proposals/1/stances",
                       headers=bearer(tokens["bob"]), json={"stance": "support"})
    assert late.status_code == 409
    page = client.get("/projects/dryer/proposals/1").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<em>green</em>" in page


def test_api_refuses_bad_proposals(people):
    client, tokens = people
    cases = [
        ({"kind": "merge", "title": "x", "branch": "nope"}, 422, "There is no branch"),
        ({"kind": "license", "title": "x", "license": "CC-BY-NC-4.0"}, 422, "not an open licence"),
        ({"kind": "policy", "title": "x", "policy": {"review_window": 60}}, 422, "at least 86400"),
        ({"kind": "input", "title": "x"}, 422, "Name the input"),
        ({"kind": "vote", "title": "x"}, 422, "Must be one of"),
    ]
    for body, status, message in cases:
        response = client.post("/api/v1/projects/dryer/proposals", json=body,
                               headers=bearer(tokens["alice"]))
        assert response.status_code == status, body
        assert message in response.get_json()["error"], (body, response.get_json())
    outsider = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["dave"]),
                           json={"kind": "decision", "title": "x"})
    assert outsider.status_code == 403
    assert client.get("/api/v1/projects/dryer/proposals").get_json() == []


def test_a_consent_join_answers_its_proposal_number(app, people, clock):
    client, tokens = people
    client.post("/api/v1/projects", headers=bearer(tokens["alice"]), json={
        "name": "Seeds", "slug": "seeds", "license": "CC0-1.0", "policy": {"admission": "consent"}})
    joined = client.post("/api/v1/projects/seeds/join", headers=bearer(tokens["dave"]))
    assert joined.status_code == 202 and joined.get_json() == {"status": "pending", "proposal": 1}
    proposal = client.get("/api/v1/projects/seeds/proposals/1").get_json()
    assert proposal["kind"] == "membership" and proposal["details"] == {"username": "dave"}
    clock.advance(hours=72, seconds=1)
    worker_decides(app)
    members = client.get("/api/v1/projects/seeds").get_json()["members"]
    assert [m["username"] for m in members] == ["alice", "dave"]


def test_a_policy_proposal_from_the_form_closes_the_project_to_outsiders(app, people, clock):
    client, tokens = people
    alice = Browser(app.test_client())
    alice.login("alice")
    page = "/projects/dryer/proposals/new"
    assert 'name="outside"' in alice.client.get(page).get_data(as_text=True)
    opened = alice.submit(page, {"kind": "policy", "title": "Members only", "body": "",
                                 "admission": "", "push": "", "outside": "refuse"})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    proposal = client.get("/api/v1/projects/dryer/proposals/1").get_json()
    assert proposal["details"] == {"outside": "refuse"}
    assert client.get("/api/v1/projects/dryer").get_json()["policy"]["outside"] == "accept"
    clock.advance(hours=72)
    worker_decides(app)
    assert client.get("/api/v1/projects/dryer/proposals/1").get_json()["status"] == "passed"
    assert client.get("/api/v1/projects/dryer").get_json()["policy"]["outside"] == "refuse"
    bad = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                      json={"kind": "policy", "title": "x", "policy": {"outside": "some"}})
    assert bad.status_code == 422 and "accept, refuse" in bad.get_json()["error"]


def test_proposal_pages_stance_withdraw_and_comment(app, people, clock):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    bob = Browser(app.test_client())
    bob.login("bob")
    page = "/projects/dryer/proposals/1"
    response = bob.submit(page, {"stance": "object", "reason": ""}, action=page + "/stance")
    assert response.status_code == 422 and "needs a reason" in response.get_data(as_text=True)
    bob.submit(page, {"stance": "object", "reason": "Green fades"}, action=page + "/stance")
    html = bob.client.get(page).get_data(as_text=True)
    assert "0 support, 0 abstain, 1 object" in html and "Green fades" in html
    bob.button(page, page + "/stance/withdraw")
    html = bob.client.get(page).get_data(as_text=True)
    assert "0 support, 0 abstain, 0 object" in html and "bob withdrew their objection" in html
    bob.submit(page, {"body": "I would rather **blue**."}, action=page + "/comments")
    assert "<strong>blue</strong>" in bob.client.get(page).get_data(as_text=True)
    listing = bob.client.get("/projects/dryer/proposals").get_data(as_text=True)
    assert "#1 Paint it green" in listing
    clock.advance(hours=72)
    late = bob.submit(page, {"stance": "support", "reason": ""}, action=page + "/stance")
    assert late.status_code == 409 and "stances are taken while it is open" in \
        late.get_data(as_text=True)


def test_inbox_and_atom_feed(app, people, clock):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    bob = Browser(app.test_client())
    bob.login("bob")
    clock.advance(hours=50)
    inbox = bob.client.get("/inbox").get_data(as_text=True)
    assert "Waiting for your stance" in inbox and "Paint it green" in inbox
    clock.advance(hours=23)
    worker_decides(app)
    feed = client.get("/projects/dryer/proposals.atom")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["#1 Paint it green (passed)"]
    alice = Browser(app.test_client())
    alice.login("alice")
    assert "#1 Paint it green passed: Decided." in alice.client.get("/inbox").get_data(
        as_text=True)


def test_tick_command_decides_once(app, people, clock):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    runner = app.test_cli_runner()
    early = runner.invoke(args=["governance", "tick"])
    assert "Decided 0 proposals." in early.output
    later = (clock() + timedelta(hours=72)).isoformat()
    result = runner.invoke(args=["governance", "tick", "--now", later])
    assert "#1 (decision): passed" in result.output and "Decided 1 proposal." in result.output
    again = runner.invoke(args=["governance", "tick", "--now", later])
    assert "Decided 0 proposals." in again.output
    bad = runner.invoke(args=["governance", "tick", "--now", "soon"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_the_host_header_never_reaches_a_merge_commit(app, people, clock, tmp_path):
    import subprocess
    client, tokens = people
    repo = tmp_path / "repos" / "dryer.git"
    work = tmp_path / "w"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "alice@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "alice@example.org"}
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], env=env, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "topic"], cwd=work, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "t"], cwd=work, env=env, check=True)
    subprocess.run(["git", "push", "-q", "origin", "topic"], cwd=work, env=env, check=True)
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "merge", "title": "Topic", "branch": "topic"})
    clock.advance(hours=73)
    client.get("/projects/dryer", headers={"Host": "evil.example"})  # decides nothing
    worker_decides(app)  # the worker knows no request's Host
    message = subprocess.run(["git", "log", "-1", "--format=%B", "main"], cwd=repo, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "evil.example" not in message
    assert "Decided-by: http://127.0.0.1:5000/projects/dryer/proposals/1" in message


def test_api_stance_on_a_stale_revision_is_409(people):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Green"})
    stale = client.post("/api/v1/projects/dryer/proposals/1/stances", headers=bearer(tokens["bob"]),
                        json={"stance": "support", "revision": 0})
    assert stale.status_code == 409 and "revised since you read it" in stale.get_json()["error"]
    fresh = client.post("/api/v1/projects/dryer/proposals/1/stances", headers=bearer(tokens["bob"]),
                        json={"stance": "support", "revision": 1})
    assert fresh.status_code == 201


def test_a_stale_stance_leaves_the_proposal_in_the_inbox(app, people, clock):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    client.post("/api/v1/projects/dryer/proposals/1/stances", headers=bearer(tokens["bob"]),
                json={"stance": "support"})
    bob = Browser(app.test_client())
    bob.login("bob")
    clock.advance(hours=50)
    assert "Paint it green" not in waiting(bob.client.get("/inbox").get_data(as_text=True))
    alice = Browser(app.test_client())
    alice.login("alice")
    page = "/projects/dryer/proposals/1"
    alice.submit(page, {"title": "Paint it green", "body": "Darker"}, action=page + "/revise")
    clock.advance(hours=50)
    assert "Paint it green" in waiting(bob.client.get("/inbox").get_data(as_text=True))


def waiting(inbox: str) -> str:
    """The inbox's "Waiting for your stance" section."""
    return inbox[inbox.index('id="waiting-heading"'):inbox.index('id="unread-heading"')]


def test_withdrawing_a_join_request_withdraws_its_proposal(people):
    client, tokens = people
    client.post("/api/v1/projects", headers=bearer(tokens["alice"]), json={
        "name": "Seeds", "slug": "seeds", "license": "CC0-1.0", "policy": {"admission": "consent"}})
    assert client.post("/api/v1/projects/seeds/join", headers=bearer(tokens["dave"])).status_code == 202
    assert client.delete("/api/v1/projects/seeds/membership",
                         headers=bearer(tokens["dave"])).status_code == 204
    assert client.get("/api/v1/projects/seeds/proposals/1").get_json()["status"] == "withdrawn"
    again = client.post("/api/v1/projects/seeds/join", headers=bearer(tokens["dave"]))
    assert again.status_code == 202 and again.get_json()["proposal"] == 2


def test_policy_numbers_must_be_whole(people):
    client, tokens = people
    response = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                           json={"kind": "policy", "title": "x",
                                 "policy": {"review_window": 86400.5}})
    assert response.status_code == 422


def test_a_comment_cannot_plant_a_tracking_pixel(app, people):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green",
                      "body": "Like this: ![swatch](https://tracker.example/body.gif)"})
    bob = Browser(app.test_client())
    bob.login("bob")
    page = "/projects/dryer/proposals/1"
    bob.submit(page, {"body": "Seen ![here](https://tracker.example/pixel.gif) and "
                              '<img src="https://tracker.example/raw.gif" alt="raw">'},
               action=page + "/comments")
    response = client.get(page)
    html = response.get_data(as_text=True)
    assert ">here</a>" in html and ">swatch</a>" in html
    assert 'href="https://tracker.example/pixel.gif"' in html
    assert 'src="https://tracker.example' not in html and "raw.gif" not in html
    policy = dict(part.strip().split(" ", 1) for part in
                  response.headers["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self'"


def test_a_policy_proposal_through_the_api_names_a_treasurer(app, people, clock):
    client, tokens = people
    outsider = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                           json={"kind": "policy", "title": "Dave keeps the money",
                                 "policy": {"treasurer_grant": "dave"}})
    assert outsider.status_code == 422 and "not a member" in outsider.get_json()["error"]
    opened = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                         json={"kind": "policy", "title": "Bob keeps the money",
                               "policy": {"treasurer_grant": "bob"}})
    assert opened.status_code == 201, opened.get_json()
    clock.advance(hours=72)
    with app.app_context():
        import sqlalchemy as sa

        from commons.extensions import db
        from commons.governance import services as governance
        from commons.projects.models import Project
        governance.decide_due(db.session, governance.Settings.from_config(app.config), clock())
        db.session.commit()
        project = db.session.scalar(sa.select(Project).where(Project.slug == "dryer"))
        assert [m.user.username for m in project.memberships if m.treasurer] == ["bob"]
