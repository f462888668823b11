"""Every absolute URL commons hands out is built from COMMONS_BASE_URL, never
from the Host header (or X-Forwarded-Host) of the request that asked: anyone
can send those, and a link in a cached page, a CONTRIBUTORS.md or a git
client's remote: line would then lead readers to their site."""

import pytest

from commons.git.pktline import FLUSH, pkt_line
from tests.conftest import TEST_PASSWORD, basic, bearer

EVIL = {"Host": "evil.example"}


@pytest.fixture
def site(make_app):
    """alice founded "dryer" and logged 2 h of work; bob is not a member.
    The public address is https://commons.example."""
    app = make_app(BASE_URL="https://commons.example/")
    client = app.test_client()
    runner = app.test_cli_runner()
    tokens = {}
    for name in ("alice", "bob"):
        runner.invoke(args=["users", "create", name, f"{name}@example.org", "--password",
                            TEST_PASSWORD])
        tokens[name] = client.post("/api/v1/tokens", json={"name": "t"},
                                   headers=basic(name, TEST_PASSWORD)).get_json()["token"]
    alice = bearer(tokens["alice"])
    assert client.post("/api/v1/projects", headers=alice, json={
        "name": "Dryer", "slug": "dryer", "license": "MIT"}).status_code == 201
    for n in range(3):
        assert client.post("/api/v1/projects/dryer/inputs", headers=alice, json={
            "title": f"Part {n}", "kind": "material", "quantity": "1", "unit": "piece"},
        ).status_code == 201
    assert client.post("/api/v1/projects/dryer/proposals", headers=alice, json={
        "kind": "decision", "title": "Paint it green"}).status_code == 201
    assert client.post("/api/v1/projects/dryer/work", headers=alice, json={
        "hours": "2", "category": "care", "description": "Cleaning"}).status_code == 201
    return app, client, tokens


def test_the_host_header_reaches_no_link(site):
    app, client, tokens = site
    answers = [
        client.get("/projects/dryer", headers=EVIL),
        client.get("/api/v1/projects/dryer", headers=EVIL),
        client.get("/api/v1/projects", headers=EVIL),
        client.get("/api/v1/projects/dryer/proposals/1", headers=EVIL),
        client.get("/api/v1/projects/dryer/inputs?limit=1", headers=EVIL),
        client.get("/api/v1/projects/dryer/inputs/1", headers=EVIL),
        client.get("/api/v1/projects/dryer/ledger?limit=1", headers=EVIL),
        client.get("/projects/dryer/proposals.atom", headers=EVIL),
        client.get("/projects/dryer/CONTRIBUTORS.md", headers=EVIL),
        # A git client prints these to the person pushing.
        # (bob is no member: the answer to his push says how to join.)
        client.post("/projects/dryer.git/git-receive-pack",
                    headers={**EVIL, **basic("bob", TEST_PASSWORD),
                             "Content-Type": "application/x-git-receive-pack-request"},
                    data=pkt_line(f"{'0' * 40} {'1' * 40} refs/heads/x\0report-status "
                                  "side-band-64k\n".encode()) + FLUSH),
    ]
    for answer in answers:
        text = answer.get_data(as_text=True) + str(answer.headers)
        assert answer.status_code < 500, text
        assert "evil.example" not in text, (answer.request.path, text[-600:])

    page = answers[0].get_data(as_text=True)
    assert 'value="https://commons.example/projects/dryer.git"' in page
    project = answers[1].get_json()
    assert project["clone_url"] == "https://commons.example/projects/dryer.git"
    assert project["web_url"] == "https://commons.example/projects/dryer"
    assert answers[3].get_json()["web_url"] == "https://commons.example/projects/dryer/proposals/1"
    assert answers[4].headers["Link"].startswith(
        "<https://commons.example/api/v1/projects/dryer/inputs?")
    assert answers[6].get_json()["next"].startswith(
        "https://commons.example/api/v1/projects/dryer/ledger?")
    assert "<id>https://commons.example/projects/dryer/proposals/1</id>" in \
        answers[7].get_data(as_text=True)
    assert "(https://commons.example/users/alice)" in answers[8].get_data(as_text=True)
    assert "https://commons.example/projects/dryer" in answers[9].get_data(as_text=True)

