import git

from tests.conftest import bearer

DRYER = {"name": "Solar dryer", "slug": "solar-dryer", "license": "CERN-OHL-S-2.0",
         "description": "Dries food with sunlight."}


def test_create_and_read_a_project(client, token_for, repos_dir):
    token = token_for("alice")
    response = client.post("/api/v1/projects", json=DRYER, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["clone_url"] == "http://127.0.0.1:5000/projects/solar-dryer.git"
    assert body["web_url"] == "http://127.0.0.1:5000/projects/solar-dryer"
    assert body["policy"] == {"admission": "open", "push": "review", "review_window": 259200,
                              "approval_threshold": {"amount": "0", "currency": "EUR"},
                              "outside": "accept", "notify_outside_authors": False}
    assert [m["username"] for m in body["members"]] == ["alice"]
    assert git.Repo(repos_dir / "solar-dryer.git").commit("main").tree / "LICENSE"
    read = client.get("/api/v1/projects/solar-dryer").get_json()
    assert read == body
    listed = client.get("/api/v1/projects?q=sunlight").get_json()
    assert [p["slug"] for p in listed] == ["solar-dryer"]
    assert client.get("/api/v1/projects?q=nothing").get_json() == []


def test_create_with_a_chosen_policy(client, token_for):
    token = token_for("alice")
    body = {**DRYER, "policy": {"admission": "consent", "push": "direct", "review_window": 172800,
                                "approval_threshold": {"amount": "250.00", "currency": "usd"},
                                "outside": "refuse", "notify_outside_authors": True}}
    created = client.post("/api/v1/projects", json=body, headers=bearer(token)).get_json()
    assert created["policy"] == {"admission": "consent", "push": "direct", "review_window": 172800,
                                 "approval_threshold": {"amount": "250.00", "currency": "USD"},
                                 "outside": "refuse", "notify_outside_authors": True}
    assert client.get("/api/v1/projects/solar-dryer").get_json()["policy"]["outside"] == "refuse"


def test_non_open_licence_is_422_naming_alternatives(client, token_for):
    token = token_for("alice")
    response = client.post("/api/v1/projects", json={**DRYER, "license": "CC-BY-NC-4.0"},
                           headers=bearer(token))
    assert response.status_code == 422
    body = response.get_json()
    assert "not an open licence" in body["error"] and "CC-BY-SA-4.0" in body["error"]
    assert body["field"] == "license"
    assert client.get("/api/v1/projects/solar-dryer").status_code == 404


def test_bad_project_bodies_get_clear_errors(client, token_for):
    token = token_for("alice")
    cases = [
        ({**DRYER, "slug": "Bad Slug"}, 422, "single hyphens"),
        ({**DRYER, "name": "x" * 101}, 422, "keep it to 100"),
        ({**DRYER, "policy": {"review_window": 60}}, 422, "at least 86400 seconds"),
        ({**DRYER, "policy": {"approval_threshold": {"amount": 12.5, "currency": "EUR"}}}, 422,
         "Not a valid string"),
        ({**DRYER, "policy": {"approval_threshold": {"amount": "ten", "currency": "EUR"}}}, 422,
         "decimal string"),
        ({**DRYER, "policy": {"admission": "anyone"}}, 422, "Must be one of"),
        ({**DRYER, "policy": {"outside": "members"}}, 422, "Must be one of: accept, refuse"),
        ({**DRYER, "unexpected": 1}, 422, "Unknown field"),
        ({"name": "x"}, 422, "Missing data for required field"),
    ]
    for body, status, message in cases:
        response = client.post("/api/v1/projects", json=body, headers=bearer(token))
        assert response.status_code == status, body
        assert message in response.get_json()["error"], (body, response.get_json())
    assert client.get("/api/v1/projects").get_json() == []


def test_malformed_json_is_400(client, token_for):
    token = token_for("alice")
    for data in [b"{not json", b"\xff\xfe{}"]:
        response = client.post("/api/v1/projects", data=data, content_type="application/json",
                               headers=bearer(token))
        assert response.status_code == 400, data
        assert response.get_json()["error"]


def test_duplicate_slug_is_409(client, token_for):
    token = token_for("alice")
    client.post("/api/v1/projects", json=DRYER, headers=bearer(token))
    response = client.post("/api/v1/projects", json=DRYER, headers=bearer(token))
    assert response.status_code == 409
    assert "exists; pick another slug" in response.get_json()["error"]


def test_anonymous_create_is_401_before_the_body_is_judged(client):
    response = client.post("/api/v1/projects", json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="commons"'


def test_join_open_and_consent_projects_and_leave(client, token_for):
    alice, bob = token_for("alice"), token_for("bob")
    client.post("/api/v1/projects", json=DRYER, headers=bearer(alice))
    client.post("/api/v1/projects", json={**DRYER, "slug": "seeds", "name": "Seeds",
                                          "policy": {"admission": "consent"}}, headers=bearer(alice))
    joined = client.post("/api/v1/projects/solar-dryer/join", headers=bearer(bob))
    assert joined.status_code == 201 and joined.get_json() == {"status": "member", "proposal": None}
    members = client.get("/api/v1/projects/solar-dryer").get_json()["members"]
    assert [m["username"] for m in members] == ["alice", "bob"]
    again = client.post("/api/v1/projects/solar-dryer/join", headers=bearer(bob))
    assert again.status_code == 409
    pending = client.post("/api/v1/projects/seeds/join", headers=bearer(bob))
    assert pending.status_code == 202 and pending.get_json()["status"] == "pending"
    assert [m["username"] for m in client.get("/api/v1/projects/seeds").get_json()["members"]] == ["alice"]
    assert client.delete("/api/v1/projects/solar-dryer/membership", headers=bearer(bob)).status_code == 204
    members = client.get("/api/v1/projects/solar-dryer").get_json()["members"]
    assert [m["username"] for m in members] == ["alice"]
    last = client.delete("/api/v1/projects/solar-dryer/membership", headers=bearer(alice))
    assert last.status_code == 403 and "only member" in last.get_json()["error"]
    assert client.post("/api/v1/projects/nope/join", headers=bearer(bob)).status_code == 404


def test_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/tokens", "/api/v1/projects", "/api/v1/projects/{slug}",
                 "/api/v1/projects/{slug}/join"]:
        assert path in spec["paths"], path
    create = spec["paths"]["/api/v1/projects"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert "201" in create["responses"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
