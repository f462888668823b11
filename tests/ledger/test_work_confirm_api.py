"""Confirmed work (issue 20) through the JSON API: log work with a rating,
confirm another member's hours, withdraw the confirmation; each refusal a
clear message with its status and nothing written; a retried confirmation
with its Idempotency-Key answered once."""

from commons.extensions import db
from commons.projects import services as projects
from commons.recognition import periods
from tests.ledger.test_api import Api, api, bearer  # noqa: F401 (the fixture)

WORK = {"hours": "3", "category": "care", "description": "cleaning", "onerous": 2}


def delete(api: Api, path: str, who: str | None):  # noqa: F811
    headers = bearer(api.tokens[who]) if who else {}
    return api.client.delete(f"/api/v1/projects/dryer{path}", headers=headers)


def test_log_confirm_withdraw_and_list(api: Api):  # noqa: F811
    logged = api.ok("/work", "bo", WORK)
    assert logged["data"]["onerous"] == 2
    confirmed = api.ok("/work/1/confirmation", "ada")
    assert confirmed["action"] == "work_confirm" and confirmed["seq"] == 2
    assert confirmed["data"] == {"work": 1, "worker": "bo", "confirmer": "ada",
                                 "at": "2026-03-01T12:00:00.000000Z"}
    assert confirmed["work"] == {
        "seq": 1, "worker": "bo", "date": "2026-03-01", "period": "2026-03", "hours": "3.00",
        "category": "care", "description": "cleaning", "onerous": 2, "confirmed_by": "ada",
        "confirmed_at": "2026-03-01T12:00:00.000000Z", "confirmed_seq": 2}
    listed = api.get("/work").get_json()
    assert listed["work"][0]["confirmed_by"] == "ada" and listed["work"][0]["onerous"] == 2

    withdrawn = delete(api, "/work/1/confirmation", "ada")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    body = withdrawn.get_json()
    assert body["action"] == "work_unconfirm" and body["work"]["confirmed_by"] is None
    assert api.get("/work").get_json()["work"][0]["confirmed_by"] is None


def test_a_retried_confirmation_is_answered_once(api: Api):  # noqa: F811
    api.ok("/work", "bo", WORK)
    headers = {**bearer(api.tokens["ada"]), "Idempotency-Key": "confirm-1"}
    first = api.client.post("/api/v1/projects/dryer/work/1/confirmation", headers=headers)
    again = api.client.post("/api/v1/projects/dryer/work/1/confirmation", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert api.head() == 2


def test_refusals_write_nothing(api: Api):  # noqa: F811
    for rating in (0, 4, "x"):
        api.refused("/work", "bo", 422, "1 (light), 2 (heavy) or 3 (very heavy)",
                    field="onerous", json={**WORK, "onerous": rating})
    api.ok("/work", "bo", WORK)
    api.refused("/work/1/confirmation", "cy", 403, "Join the project")
    api.refused("/work/1/confirmation", "bo", 409, "your own work")
    api.refused("/work/99/confirmation", "ada", 404, "no work entry #99")
    api.refused("/work/1/confirmation", None, 401, "")
    api.ok("/work/1/confirmation", "ada")
    api.refused("/work/1/confirmation", "ada", 409, "confirmed already")

    def refused_delete(who, status, message):
        before = api.head()
        answer = delete(api, "/work/1/confirmation", who)
        assert answer.status_code == status, answer.get_json()
        assert message in answer.get_json()["error"]
        assert api.head() == before

    refused_delete("bo", 409, "Only the member who confirmed")
    refused_delete("cy", 403, "Join the project")
    with api.app.app_context():
        project = projects.get_project(db.session, "dryer")
        periods.close(db.session, project.id, "2026-03", None, project.created_at)
        db.session.commit()
    refused_delete("ada", 409, "closed the month")


def test_a_bad_limit_is_refused(api: Api):  # noqa: F811
    answer = api.get("/work?limit=0")
    assert answer.status_code == 422 and "limit" in str(answer.get_json())
    assert api.get("/work?limit=1").get_json()["work"] == []


def test_the_exports_carry_confirmations(api: Api):  # noqa: F811
    import json
    api.ok("/work", "bo", WORK)
    api.ok("/work/1/confirmation", "ada")
    assert delete(api, "/work/1/confirmation", "ada").status_code == 200
    csv = api.get("/ledger.csv").get_data(as_text=True)
    assert ",work_confirm," in csv and ",work_unconfirm," in csv
    graph = json.loads(api.get("/ledger.jsonld").get_data(as_text=True))["@graph"]
    confirm = next(n for n in graph if n.get("commons:action") == "work_confirm")
    work = next(n for n in graph if n.get("commons:action") == "work")
    assert confirm["commons:concerns"] == {"@id": work["@id"]}
    assert confirm["commons:confirmedBy"] == {"@id": "http://commons.test/users/ada"}
    assert work["commons:onerous"] == 2
    withdrawal = next(n for n in graph if n.get("commons:action") == "work_unconfirm")
    assert withdrawal["commons:withdraws"] == {"@id": confirm["@id"]}
    exported = json.loads(api.get("/ledger.json").get_data(as_text=True))
    assert [e["action"] for e in exported["entries"]][-2:] == ["work_confirm", "work_unconfirm"]
