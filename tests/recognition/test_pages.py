"""The recognition page (the rule, its versions, per person for a month
with the arithmetic), the contributors page's recognition beside the raw
hours, and the API's recognition for a month."""

import re
from datetime import UTC, datetime

from commons.extensions import db
from commons.recognition.models import RecognitionRule


def html(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def text(page: str) -> str:
    return re.sub(r" ([;,.])", r"\1", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_page_shows_the_rule_versions_and_each_persons_arithmetic(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)  # 1 March, under the default
    proposal, _ = team.adopt({"weights": {"care": "1.5"}, "onerous": True})  # 5 March
    team.work(team.bo, "2", "care", confirmed_by=team.cy, onerous=2)
    team.work(team.bo, "3", "routine")  # not confirmed
    team.work(team.cy, "1", "coordination", confirmed_by=team.bo, onerous=3)
    client = team.app.test_client()  # anyone: the page is public
    page = text(html(client, "/projects/dryer/recognition"))
    assert "The rule in force: version 1" in page
    assert f"by proposal #{proposal.number}; it applies to work done from 2026-03-05 on" in page
    assert "Care (cleaning, cooking, support) (care) 1.5" in page
    assert "(1 to 3) multiplies the weight" in page
    assert "Version 0 the default" in page
    assert "Per person, March 2026" in page
    assert "bo 6 3 care: 4 h × 1 = 4 care (rule v1): 2 h × 1.5 × 2 (onerous) = 6 10" in page
    assert "cy 1 0 coordination (rule v1): 1 h × 1 × 3 (onerous) = 3 3" in page
    # Another month: nobody worked; a month that is not one: 400.
    assert "Nobody logged hours in 2026-02" in text(html(client, "/projects/dryer/recognition"
                                                                 "?period=2026-02"))
    assert "YYYY-MM" in html(client, "/projects/dryer/recognition?period=March", 400)
    html(client, "/projects/nowhere/recognition", 404)


def test_the_contributors_page_shows_recognition_beside_the_hours(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)
    team.work(team.bo, "2", "routine")
    db.session.add(RecognitionRule(project_id=team.project.id, version=1,
                                   weights={"care": "2"}, onerous_multiplies=False,
                                   adopted_at=datetime(2026, 2, 1, tzinfo=UTC)))
    db.session.commit()
    page = html(team.app.test_client(), "/projects/dryer/contributors")
    assert 'href="/projects/dryer/recognition#rule"' in page
    assert re.search(r"<summary><strong>8</strong> <span class=\"meta\">4 h confirmed, 2 h not "
                     r"yet</span></summary>\s*<ul><li>care \(rule v1\): 4 h × 2 = 8</li></ul>",
                     page), page
    assert "recognition" in html(team.app.test_client(),
                                 "/projects/dryer/contributors?period=90d").lower()


def test_the_api_gives_each_persons_recognition_for_a_month(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)
    team.adopt({"weights": {"care": "1.5"}})
    team.work(team.bo, "2.5", "care", confirmed_by=team.ada)
    team.work(team.cy, "1", "care")
    client = team.app.test_client()
    body = client.get("/api/v1/projects/dryer/recognition?period=2026-03").get_json()
    assert body["period"] == "2026-03" and (body["start"], body["end"]) == \
        ("2026-03-01", "2026-03-31")
    assert [rule["version"] for rule in body["rules"]] == [0, 1]
    [bo, cy] = body["people"]
    assert bo == {"username": "bo", "confirmed_hours": "6.5", "unconfirmed_hours": "0",
                  "recognition": "7.75", "lines": [
                      {"category": "care", "hours": "4", "weight": "1", "onerous": None,
                       "rule_version": 0, "result": "4", "text": "care: 4 h × 1 = 4"},
                      {"category": "care", "hours": "2.5", "weight": "1.5", "onerous": None,
                       "rule_version": 1, "result": "3.75",
                       "text": "care (rule v1): 2.5 h × 1.5 = 3.75"}]}
    assert (cy["username"], cy["confirmed_hours"], cy["unconfirmed_hours"],
            cy["recognition"], cy["lines"]) == ("cy", "0", "1", "0", [])
    assert client.get("/api/v1/projects/dryer/recognition").get_json()["period"] == "2026-03"
    refused = client.get("/api/v1/projects/dryer/recognition?period=2026-13")
    assert refused.status_code == 422 and "YYYY-MM" in refused.get_json()["error"]
    assert client.get("/api/v1/projects/nowhere/recognition/rules").status_code == 404


def test_the_api_pages_the_people_by_rank(team):
    team.work(team.bo, "2", "care", confirmed_by=team.ada)
    team.work(team.ada, "2", "care", confirmed_by=team.bo)  # a tie with bo: by id then
    team.work(team.cy, "1", "care")  # not confirmed: last
    client = team.app.test_client()
    whole = client.get("/api/v1/projects/dryer/recognition?period=2026-03").get_json()
    assert [p["username"] for p in whole["people"]] == ["ada", "bo", "cy"]
    assert (whole["total"], whole["next"]) == (3, None)
    seen, url, links = [], "/api/v1/projects/dryer/recognition?period=2026-03&limit=1", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == 3 and len(body["people"]) == 1
        seen += [p["username"] for p in body["people"]]
        url = body["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            assert "period=2026-03" in url
            links += 1
        else:
            assert "Link" not in response.headers
    assert (seen, links) == (["ada", "bo", "cy"], 2)
    second = client.get("/api/v1/projects/dryer/recognition?period=2026-03&limit=1") \
        .get_json()["next"]
    # More hours for ada between two pages: she moves, nobody is shown twice.
    team.work(team.ada, "1", "care", confirmed_by=team.bo)
    assert [p["username"] for p in client.get(second).get_json()["people"]] == ["bo"]
    for cursor in ("nonsense", "WyJOYU4iLCIxIiwxXQ"):  # the second holds ["NaN","1",1]
        refused = client.get(f"/api/v1/projects/dryer/recognition?cursor={cursor}")
        assert refused.status_code == 400 and "cursor" in refused.get_json()["error"]
