"""Lazy consensus end to end with the real git client and a real server: a
branch is pushed and proposed, people take stances, time passes, and the
default branch holds the work with its Decided-by: trailer."""

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path


def api(forge, method, path, token=None, body=None):
    request = urllib.request.Request(
        forge.base + "/api/v1" + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def tick(forge, days=4):
    forge.app.config["BASE_URL"] = forge.base  # as COMMONS_BASE_URL in production
    moment = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    result = forge.app.test_cli_runner().invoke(args=["governance", "tick", "--now", moment])
    assert result.exit_code == 0, result.output
    return result.output


def test_push_propose_object_withdraw_pass_and_merge(forge, tmp_path):
    alice, bob, carol = forge.person("alice"), forge.person("bob"), forge.person("carol")
    slug = forge.project(alice)
    forge.join(bob, slug)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    # carol wrote the frame on main long ago (seeded straight into the repository).
    seed = tmp_path / "seed"
    forge.git("clone", "-q", str(repo), str(seed))
    forge.commit(seed, "frame.txt", "steel\nbolts\nwheels\n", "Frame", author=carol)
    forge.git("push", "-q", "origin", "main", cwd=seed)

    work = tmp_path / "bob"
    forge.git("clone", "-q", forge.url(slug, bob), str(work))
    forge.git("checkout", "-q", "-b", "bamboo", cwd=work)
    head = forge.commit(work, "frame.txt", "bamboo\nbolts\nwheels\n", "Bamboo frame", author=bob)
    forge.git("push", "-q", "origin", "bamboo", cwd=work)

    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", bob.token,
                           {"kind": "merge", "title": "Bamboo frame", "branch": "bamboo"})
    assert status == 201, proposal
    number = proposal["number"]
    assert [a["username"] for a in proposal["affected"]] == ["carol"]
    assert proposal["details"]["head"] == head

    assert api(forge, "POST", f"/projects/{slug}/proposals/{number}/stances", alice.token,
               {"stance": "support"})[0] == 201
    # carol is no member, but the merge changes her lines: her objection counts.
    status, stance = api(forge, "POST", f"/projects/{slug}/proposals/{number}/stances",
                         carol.token, {"stance": "object", "reason": "Bamboo splits"})
    assert status == 201
    assert api(forge, "GET", f"/projects/{slug}/proposals/{number}")[1]["tally"]["object"] == 1
    assert api(forge, "DELETE", f"/projects/{slug}/proposals/{number}/stances/mine",
               carol.token)[0] == 204

    assert "passed" in tick(forge)
    status, decided = api(forge, "GET", f"/projects/{slug}/proposals/{number}")
    assert decided["status"] == "passed"
    check = tmp_path / "check"
    forge.git("clone", "-q", forge.url(slug), str(check))
    assert (check / "frame.txt").read_text().startswith("bamboo")
    message = forge.git("log", "-1", "--format=%B", cwd=check).stdout
    assert f"Decided-by: {forge.base}/projects/{slug}/proposals/{number}" in message
    assert head in forge.git("log", "--format=%H", cwd=check).stdout.split()
    forge.fsck(slug)


def test_an_objection_blocks_and_moving_the_branch_revises(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    forge.join(bob, slug)
    work = tmp_path / "bob"
    forge.git("clone", "-q", forge.url(slug, bob), str(work))
    forge.git("checkout", "-q", "-b", "paint", cwd=work)
    forge.commit(work, "colour.txt", "green\n", "Green", author=bob)
    forge.git("push", "-q", "origin", "paint", cwd=work)
    _, proposal = api(forge, "POST", f"/projects/{slug}/proposals", bob.token,
                      {"kind": "merge", "title": "Green", "branch": "paint"})
    number = proposal["number"]
    api(forge, "POST", f"/projects/{slug}/proposals/{number}/stances", alice.token,
        {"stance": "object", "reason": "Green fades in the sun"})
    assert "blocked" in tick(forge)
    before = forge.server_ref(slug, "refs/heads/main")
    assert api(forge, "GET", f"/projects/{slug}/proposals/{number}")[1]["status"] == "blocked"

    moved = forge.commit(work, "colour.txt", "deep green, UV-proof\n", "UV-proof", author=bob)
    forge.git("push", "-q", "origin", "paint", cwd=work)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, revised = api(forge, "GET", f"/projects/{slug}/proposals/{number}")
        if revised["revision"] == 2:
            break
        time.sleep(0.1)
    assert revised["revision"] == 2 and revised["status"] == "open"
    assert revised["details"]["head"] == moved
    assert revised["stances"][0]["stale"] is True and revised["tally"]["object"] == 0
    assert forge.server_ref(slug, "refs/heads/main") == before
