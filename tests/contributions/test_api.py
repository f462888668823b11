"""The contract's contributor endpoints: GET /projects/<slug>/contributors,
POST /projects/<slug>/work, GET /users/<username>, and credits."""

from datetime import UTC, datetime

import pytest

from commons.contributions.models import Credit
from commons.extensions import db
from commons.ledger.models import LedgerHead, WorkLog
from tests.conftest import bearer

API = "/api/v1"


class Clock:
    """The project begins on 2025-12-20; the tests run on 2026-01-10."""

    def __init__(self):
        self.now = datetime(2025, 12, 20, 12, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def app(make_app):
    return make_app(CLOCK=Clock())


@pytest.fixture
def tokens(app, client, token_for):
    ada, bo, cy = token_for("ada"), token_for("bo"), token_for("cy")
    created = client.post(f"{API}/projects", headers=bearer(ada), json={
        "name": "Dryer", "slug": "dryer", "license": "CERN-OHL-S-2.0"})
    assert created.status_code == 201, created.get_json()
    joined = client.post(f"{API}/projects/dryer/join", headers=bearer(bo))
    assert joined.status_code in (200, 201), joined.get_json()
    app.config["CLOCK"].now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    return {"ada": ada, "bo": bo, "cy": cy}


def record_of(client, username, period="all"):
    answer = client.get(f"{API}/projects/dryer/contributors?period={period}")
    assert answer.status_code == 200, answer.get_json()
    return next((record for record in answer.get_json()["contributors"]
                 if record["username"] == username), None)


def test_work_logged_through_the_api_shows_in_the_records(app, client, tokens):
    for hours, category in [("2", "care"), ("1.25", "care"), ("3", "creative")]:
        answer = client.post(f"{API}/projects/dryer/work", headers=bearer(tokens["bo"]), json={
            "hours": hours, "category": category, "description": "Work", "date": "2026-01-02"})
        assert answer.status_code == 201, answer.get_json()
    bo = record_of(client, "bo")
    assert bo["hours"] == {"care": "3.25", "creative": "3.00"}
    assert bo["commits"]["authored"] == 0 and bo["email"] is None
    ada = record_of(client, "ada")
    assert ada["commits"]["authored"] == 1 and ada["commits"]["lines_added"] > 0
    # Work dated long ago is outside the last 90 days.
    app.config["CLOCK"].now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert record_of(client, "bo", "90d") is None


def test_bad_work_is_refused_and_nothing_is_written(app, client, tokens):
    good = {"hours": "2", "category": "care", "description": "Cleaning", "date": "2026-01-02"}
    for change, says in [
        ({"hours": "0"}, "hours"), ({"hours": "-1"}, "hours"), ({"hours": "25"}, "24"),
        ({"hours": 1.5}, "must be a string or an integer"),
        ({"date": "2999-01-01"}, "in the future"), ({"category": "fun"}, "Category is one of"),
    ]:
        answer = client.post(f"{API}/projects/dryer/work", headers=bearer(tokens["bo"]),
                             json={**good, **change})
        assert answer.status_code == 422, (change, answer.get_json())
        assert says in answer.get_json()["error"], (change, answer.get_json())
    day = {**good, "hours": "20"}
    assert client.post(f"{API}/projects/dryer/work", headers=bearer(tokens["bo"]),
                       json=day).status_code == 201
    over = client.post(f"{API}/projects/dryer/work", headers=bearer(tokens["bo"]),
                       json={**day, "hours": "5"})
    assert over.status_code == 422 and "a day has 24" in over.get_json()["error"]
    outsider = client.post(f"{API}/projects/dryer/work", headers=bearer(tokens["cy"]), json=good)
    assert outsider.status_code == 403
    with app.app_context():
        assert db.session.query(WorkLog).count() == 1
        assert db.session.query(LedgerHead).one().seq == 1


def test_user_profile(client, tokens):
    answer = client.get(f"{API}/users/ada")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["username"] == "ada"
    [project] = body["projects"]
    assert project["slug"] == "dryer" and project["member"] is True
    assert project["record"]["commits"]["authored"] == 1
    assert client.get(f"{API}/users/bo").get_json()["projects"][0]["record"]["commits"][
        "authored"] == 0
    missing = client.get(f"{API}/users/nobody")
    assert missing.status_code == 404 and "No account is called" in missing.get_json()["error"]
    bad = client.get(f"{API}/users/ada?period=week")
    assert bad.status_code == 422


def test_credits(app, client, tokens):
    url = f"{API}/projects/dryer/credits"
    good = {"username": "cy", "kind": "fundingFinding",
            "evidence_url": "https://grants.example/ours", "note": "Found the grant"}
    for token, change, status, says in [
        ("ada", {"kind": "magic"}, 422, "All Contributors kinds"),
        ("ada", {"evidence_url": "ftp://x.example/a"}, 422, "https://"),
        ("ada", {"evidence_url": "https://a b.example/"}, 422, "https://"),
        ("ada", {"date": "2999-01-01"}, 422, "in the future"),
        ("ada", {"username": "ghost"}, 422, "No account is called"),
        ("cy", {}, 403, "Members of Dryer"),
    ]:
        answer = client.post(url, headers=bearer(tokens[token]), json={**good, **change})
        assert answer.status_code == status, (change, answer.get_json())
        assert says in answer.get_json()["error"], (change, answer.get_json())
    assert client.post(url, json=good).status_code == 401
    with app.app_context():
        assert db.session.query(Credit).count() == 0

    created = client.post(url, headers=bearer(tokens["ada"]), json=good)
    assert created.status_code == 201
    credit = created.get_json()
    assert credit["username"] == "cy" and credit["recorded_by"] == "ada"
    assert client.get(url).get_json() == [credit]
    assert record_of(client, "cy")["kinds"] == {"fundingFinding": 1}
    refused = client.delete(f"{url}/{credit['id']}", headers=bearer(tokens["bo"]))
    assert refused.status_code == 403
    assert client.delete(f"{url}/{credit['id']}", headers=bearer(tokens["cy"])).status_code == 204
    assert record_of(client, "cy") is None
    assert client.delete(f"{url}/{credit['id']}", headers=bearer(tokens["cy"])).status_code == 404


def test_contributors_of_an_unknown_project_and_bad_period(client, tokens):
    assert client.get(f"{API}/projects/nowhere/contributors").status_code == 404
    bad = client.get(f"{API}/projects/dryer/contributors?period=1y")
    assert bad.status_code == 422
    assert "error" in bad.get_json()


def pages_of(client, url):
    """Every page from *url* on, following the Link header: (bodies, links)."""
    bodies, links = [], []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.get_json()
        bodies.append(answer.get_json())
        link = answer.headers.get("Link")
        links.append(link)
        url = link[1:link.index(">")] if link else None
        assert url == bodies[-1]["next"]
    return bodies, links


def test_contributors_are_paged_with_a_cursor_each_person_once_in_order(app, client, tokens,
                                                                         token_for):
    for name in ("dee", "eve", "Fay", "gus", "bo"):
        if name != "bo":
            token_for(name)
        credited = client.post(f"{API}/projects/dryer/credits", headers=bearer(tokens["ada"]),
                               json={"username": name, "kind": "design", "date": "2026-01-02",
                                     "evidence_url": "https://example.org/sketch"})
        assert credited.status_code == 201, credited.get_json()
    whole = client.get(f"{API}/projects/dryer/contributors?limit=500").get_json()
    everyone = [record["name"] for record in whole["contributors"]]
    assert len(everyone) == whole["total"] >= 6 and whole["next"] is None
    assert everyone == sorted(everyone, key=str.casefold)
    bodies, links = pages_of(client, f"{API}/projects/dryer/contributors?limit=2")
    assert [name for body in bodies for name in
            (record["name"] for record in body["contributors"])] == everyone
    assert all(len(body["contributors"]) == 2 for body in bodies[:-1])
    assert {body["total"] for body in bodies} == {len(everyone)}
    assert links[-1] is None and all(link.endswith('>; rel="next"') for link in links[:-1])
    assert links[0].startswith("<http://") and "period=all" in links[0]


def test_a_cursor_this_list_did_not_give_is_a_clear_400(client, tokens):
    for cursor in ("nonsense!", "WzFd", "eyJhIjoxfQ"):  # not base64 JSON; [1]; {"a":1}
        answer = client.get(f"{API}/projects/dryer/contributors?cursor={cursor}")
        assert answer.status_code == 400, (cursor, answer.get_json())
        assert "The cursor is not one this list gave out" in str(answer.get_json())
