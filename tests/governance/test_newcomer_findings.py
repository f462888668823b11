"""What a newcomer trying the demo found in governance: a second merge
proposal for a branch already proposed, and stances named with the wrong
word ("Withdraw my object")."""

import re
import subprocess
from html import unescape

from commons.governance import rules
from tests.conftest import Browser, bearer, worker_decides
from tests.governance.test_web_api import app, clock, people  # noqa: F401 (the fixtures)


def push_branch(tmp_path, branch: str) -> None:
    repo = tmp_path / "repos" / "dryer.git"
    work = tmp_path / f"w-{branch}"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "alice@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "alice@example.org"}
    for args in (["clone", "-q", str(repo), str(work)], ["checkout", "-q", "-b", branch],
                 ["commit", "-q", "--allow-empty", "-m", f"work on {branch}"],
                 ["push", "-q", "origin", branch]):
        subprocess.run(["git", *args], cwd=work if args[0] != "clone" else tmp_path, env=env,
                       check=True, capture_output=True)


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_a_branch_already_proposed_is_not_proposed_twice(app, people, clock, tmp_path):
    client, tokens = people
    push_branch(tmp_path, "topic")
    first = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                        json={"kind": "merge", "title": "Topic", "branch": "topic"})
    assert first.status_code == 201, first.get_json()

    again = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["bob"]),
                        json={"kind": "merge", "title": "Topic again", "branch": "topic"})
    assert again.status_code == 409, again.get_json()
    body = again.get_json()
    assert "Proposal #1 already proposes merging topic" in body["error"]
    assert "/projects/dryer/proposals/1" in body["error"] and body["proposal"] == 1

    bob = Browser(app.test_client())
    bob.login("bob")
    page = bob.submit("/projects/dryer/proposals/new",
                      {"kind": "merge", "title": "Topic from the page", "branch": "topic"})
    assert page.status_code == 409
    assert "Proposal #1 already proposes merging topic" in text_of(page)
    assert [p["number"] for p in client.get("/api/v1/projects/dryer/proposals").get_json()] \
        == [1]

    # Blocked still holds the branch: revise it, escalate it, or withdraw it.
    client.post("/api/v1/projects/dryer/proposals/1/stances", headers=bearer(tokens["bob"]),
                json={"stance": "object", "reason": "Not yet"})
    clock.advance(hours=73)
    worker_decides(app)
    assert client.get("/api/v1/projects/dryer/proposals/1").get_json()["status"] == "blocked"
    blocked = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                          json={"kind": "merge", "title": "Topic", "branch": "topic"})
    assert blocked.status_code == 409 and "blocked" in blocked.get_json()["error"]

    # Another branch is another proposal.
    push_branch(tmp_path, "other")
    other = client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                        json={"kind": "merge", "title": "Other", "branch": "other"})
    assert other.status_code == 201, other.get_json()


def test_each_stance_has_its_noun_and_verb_in_one_place():
    assert {key: (w.noun, w.verb) for key, w in rules.STANCE_WORDS.items()} == {
        "support": ("support", "supports"), "abstain": ("abstention", "abstains"),
        "object": ("objection", "objects")}
    assert set(rules.STANCE_WORDS) == set(rules.STANCES)


def test_a_stance_is_withdrawn_by_its_noun(app, people):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    bob = Browser(app.test_client())
    bob.login("bob")
    page = "/projects/dryer/proposals/1"
    for stance, reason, noun, verb in (("object", "Green fades", "objection", "objects"),
                                       ("abstain", "", "abstention", "abstains"),
                                       ("support", "", "support", "supports")):
        taken = bob.submit(page, {"stance": stance, "reason": reason, "revision": "1"},
                           action=page + "/stance")
        assert taken.status_code == 302, text_of(taken)
        html = text_of(bob.client.get(page))
        assert f"Withdraw my {noun}</button>" in html
        assert f"<strong>bob</strong> {verb}" in html
        assert bob.button(page, page + "/stance/withdraw").status_code == 302
        html = text_of(bob.client.get(page))
        assert f"bob withdrew their {noun}." in html
    assert "Withdraw my object<" not in html and "withdrew their object." not in html
