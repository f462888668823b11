"""Line comments on merge proposals, through a real server and the real
git client: a comment on a line of the diff, the refusals, the outdated
mark after a push, and an objection that cites a line."""

import time
from pathlib import Path

import pytest

from commons.git import diff_rules
from commons.governance import line_rules
from commons.governance.line_rules import Hunk, LineError
from tests.conftest import Browser, csrf_token
from tests.git.conftest import Forge
from tests.git.test_governance import api, tick

FRAME = "steel\nbolts\nwheels\nseat\nbell\n"


@pytest.fixture
def forge(app, live_server, tmp_path) -> Forge:
    home = tmp_path / "home"
    home.mkdir()
    return Forge(app, live_server, home)


class Proposed:
    """bob proposes merging "bamboo", which changes line 2 of frame.txt and
    adds wheels.txt; alice founded the project, carol wrote main."""

    def __init__(self, forge: Forge, tmp_path: Path):
        self.forge = forge
        self.alice, self.bob = forge.person("alice"), forge.person("bob")
        self.slug = forge.project(self.alice)
        forge.join(self.bob, self.slug)
        # main is seeded straight into the repository (it changes only by
        # proposals); bob's branch goes through the server.
        self.work = tmp_path / "bob"
        repo = Path(forge.app.config["REPOS_DIR"]) / f"{self.slug}.git"
        forge.git("clone", "-q", str(repo), str(self.work))
        forge.commit(self.work, "frame.txt", FRAME, "Frame")
        forge.commit(self.work, "notes.txt", "untouched\n", "Notes")
        forge.git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=self.work)
        forge.git("checkout", "-q", "-b", "bamboo", cwd=self.work)
        forge.commit(self.work, "frame.txt", FRAME.replace("bolts", "lashings"), "Lash it")
        self.head = forge.commit(self.work, "wheels.txt", "front\nback\n", "Wheels")
        forge.git("push", "-q", forge.url(self.slug, self.bob), "bamboo", cwd=self.work)
        status, proposal = api(forge, "POST", f"/projects/{self.slug}/proposals",
                               self.bob.token,
                               {"kind": "merge", "title": "Bamboo", "branch": "bamboo"})
        assert status == 201, proposal
        assert proposal["details"]["head"] == self.head
        self.number = proposal["number"]
        self.path = f"/projects/{self.slug}/proposals/{self.number}"

    def comment(self, person, **body):
        return api(self.forge, "POST", f"{self.path}/comments", person.token, body)

    def read(self) -> dict:
        status, proposal = api(self.forge, "GET", self.path)
        assert status == 200
        return proposal

    def push(self, name: str, content: str, message: str) -> str:
        head = self.forge.commit(self.work, name, content, message)
        self.forge.git("push", "-q", self.forge.url(self.slug, self.bob), "bamboo",
                       cwd=self.work)
        return head

    def revised(self, revision: int) -> dict:
        """The proposal once the push's reaction (after the push answers)
        has revised it."""
        deadline = time.monotonic() + 20
        while (proposal := self.read())["revision"] < revision and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proposal["revision"] == revision, proposal
        return proposal

    def browser(self, person) -> Browser:
        browser = Browser(self.forge.app.test_client())
        assert browser.login(person.username).status_code == 302
        return browser


@pytest.fixture
def proposed(forge, tmp_path) -> Proposed:
    return Proposed(forge, tmp_path)


def test_a_comment_on_a_line_of_the_diff(proposed):
    status, comment = proposed.comment(proposed.alice, body="Lashings **slip** when wet.",
                                       path="frame.txt", side="new", line=2,
                                       head=proposed.head)
    assert status == 201, comment
    assert comment["path"] == "frame.txt" and comment["line"] == 2 and not comment["outdated"]
    assert comment["anchor"] == line_rules.line_anchor("frame.txt", "new", 2)
    # A context line and a line of the base (the old side) are in the diff too.
    assert proposed.comment(proposed.alice, body="Fine", path="frame.txt", side="new",
                            line=5, head=proposed.head)[0] == 201
    assert proposed.comment(proposed.alice, body="Was bolts", path="frame.txt", side="old",
                            line=2, head=proposed.head)[0] == 201
    # Without a line it is a comment on the proposal, as before.
    status, plain = proposed.comment(proposed.bob, body="Thanks for reading.")
    assert status == 201 and plain["path"] is None
    comments = proposed.read()["comments"]
    assert [(c["path"], c["side"], c["line"], c["outdated"]) for c in comments] == [
        ("frame.txt", "new", 2, False), ("frame.txt", "new", 5, False),
        ("frame.txt", "old", 2, False), (None, None, None, False)]
    page = proposed.forge.app.test_client().get(proposed.path).get_data(as_text=True)
    assert "alice commented on frame.txt line 2." in page
    assert "Lashings <strong>slip</strong> when wet." in page
    assert "#" + line_rules.line_anchor("frame.txt", "new", 2) in page


@pytest.mark.server_config(COMMENT_MAX_CHARS=40)
def test_bad_line_comments_are_422_and_record_nothing(proposed):
    cases = [
        ({"path": "frame.txt", "side": "new", "line": 40}, "not part of this proposal"),
        ({"path": "notes.txt", "side": "new", "line": 1}, "not part of this proposal"),
        ({"path": "../frame.txt", "side": "new", "line": 1}, "not a file path"),
        ({"path": "frame.txt", "side": "new", "line": 2, "head": "0" * 40},
         "reload the changes and comment on the current head"),
        ({"path": "frame.txt", "side": "new", "line": 2, "body": "   "}, "Comment is required"),
        ({"path": "frame.txt", "side": "new", "line": 2, "body": "x" * 41}, "keep it to 40"),
        ({"path": "frame.txt", "line": 2}, "side missing"),
    ]
    for fields, message in cases:
        body = {"body": "Why?", "head": proposed.head, **fields}
        status, answer = proposed.comment(proposed.alice, **body)
        assert status == 422, (fields, answer)
        assert message in answer["error"], (fields, answer)
    assert proposed.read()["comments"] == []


def test_a_push_that_changes_the_line_makes_its_comment_outdated(proposed):
    assert proposed.comment(proposed.alice, body="Lashings slip.", path="frame.txt",
                            side="new", line=2, head=proposed.head)[0] == 201
    assert proposed.comment(proposed.alice, body="Nice bell.", path="frame.txt",
                            side="new", line=5, head=proposed.head)[0] == 201
    # A revision that changes another file leaves the comments current.
    moved = proposed.push("wheels.txt", "front\nback\nspare\n", "A spare")
    proposal = proposed.revised(2)
    assert proposal["details"]["head"] == moved and proposal["revision"] == 2
    assert [(c["line"], c["head"], c["outdated"]) for c in proposal["comments"]] == [
        (2, moved, False), (5, moved, False)]
    # A comment on the current head still needs the current head.
    status, stale = proposed.comment(proposed.alice, body="x", path="frame.txt", side="new",
                                     line=2, head=proposed.head)
    assert status == 422 and "revised" in stale["error"]
    # One that rewrites line 2 and adds a line above 5 outdates the first
    # and moves the second down.
    fixed = proposed.push("frame.txt", "steel\nrope\nwheels\nseat\nsaddle\nbell\n", "Rope")
    comments = proposed.revised(3)["comments"]
    assert [(c["line"], c["outdated"]) for c in comments] == [(2, True), (6, False)]
    assert comments[0]["head"] == moved and comments[1]["head"] == fixed
    page = proposed.forge.app.test_client().get(proposed.path).get_data(as_text=True)
    assert "Lashings slip." in page and "outdated" in page
    assert "1 line comment outdated by this revision" in page


def test_a_comment_through_the_form_with_its_line_in_view(proposed):
    alice = proposed.browser(proposed.alice)
    form = f"{proposed.path}/changes/comment?path=frame.txt&side=new&line=2"
    page = alice.client.get(form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<mark>    2  lashings</mark>" in html and "    1  steel" in html
    action = f"{proposed.path}/changes/comment"
    fields = {"path": "frame.txt", "side": "new", "line": "2", "head": proposed.head,
              "action": "comment"}
    # No CSRF token: refused, nothing recorded.
    refused = alice.client.post(action, data={**fields, "body": "Slips"})
    assert refused.status_code == 400
    empty = alice.submit(form, {**fields, "body": " "}, action=action)
    assert empty.status_code == 422 and "Comment is required" in empty.get_data(as_text=True)
    stale = alice.submit(form, {**fields, "head": "f" * 40, "body": "Keep this text"},
                         action=action)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert "reload the changes and comment on the current head" in html
    assert "Keep this text</textarea>" in html  # the form comes back filled in
    done = alice.submit(form, {**fields, "body": "Lashings *slip*."}, action=action)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("#" + line_rules.line_anchor("frame.txt", "new", 2))
    assert "<em>slip</em>" in alice.client.get(form).get_data(as_text=True)
    assert [c["body"] for c in proposed.read()["comments"]] == ["Lashings *slip*."]
    outside = alice.client.get(f"{proposed.path}/changes/comment?path=notes.txt&side=new&line=1")
    assert outside.status_code == 422
    assert "not part of this proposal" in outside.get_data(as_text=True)


def test_an_objection_citing_a_line_blocks_and_shows_its_reason_there(proposed):
    carol = proposed.forge.person("carol")
    proposed.forge.join(carol, proposed.slug)
    stances = f"{proposed.path}/stances"
    # Only an objection cites lines, and only lines of the diff; neither
    # refusal leaves a stance behind.
    status, answer = api(proposed.forge, "POST", stances, proposed.alice.token, {
        "stance": "support", "lines": [{"path": "frame.txt", "side": "new", "line": 2}]})
    assert status == 422 and "Only an objection cites lines" in answer["error"]
    status, answer = api(proposed.forge, "POST", stances, proposed.alice.token, {
        "stance": "object", "reason": "Slips",
        "lines": [{"path": "notes.txt", "side": "new", "line": 1}]})
    assert status == 422 and "not part of this proposal" in answer["error"]
    assert proposed.read()["stances"] == []
    status, stance = api(proposed.forge, "POST", stances, proposed.alice.token, {
        "stance": "object", "reason": "Lashings slip when wet.",
        "lines": [{"path": "frame.txt", "side": "new", "line": 2}]})
    assert status == 201 and stance["stance"] == "object", stance
    # carol objects through the line's form.
    browser = proposed.browser(carol)
    form = f"{proposed.path}/changes/comment?path=wheels.txt&side=new&line=1"
    html = browser.client.get(form).get_data(as_text=True)
    assert "Object citing this line" in html
    done = browser.client.post(f"{proposed.path}/changes/comment", data={
        "csrf_token": csrf_token(html), "path": "wheels.txt", "side": "new", "line": "1",
        "head": proposed.head, "revision": "1", "action": "object",
        "body": "Front wheel too small."})
    assert done.status_code == 302
    proposal = proposed.read()
    assert proposal["tally"]["object"] == 2
    cited = [(c["username"], c["path"], c["line"], c["body"], c["objection"])
             for c in proposal["comments"]]
    assert cited == [("alice", "frame.txt", 2, "Lashings slip when wet.", True),
                     ("carol", "wheels.txt", 1, "Front wheel too small.", True)]
    line_page = browser.client.get(
        f"{proposed.path}/changes/comment?path=frame.txt&side=new&line=2").get_data(as_text=True)
    assert "Lashings slip when wet." in line_page and "objection" in line_page
    page = browser.client.get(proposed.path).get_data(as_text=True)
    assert "alice cited frame.txt line 2 for their objection." in page
    assert "blocked" in tick(proposed.forge)
    assert proposed.read()["status"] == "blocked"


def test_withdrawing_the_objection_leaves_its_line_comment_as_a_comment(proposed):
    api(proposed.forge, "POST", f"{proposed.path}/stances", proposed.alice.token, {
        "stance": "object", "reason": "Slips",
        "lines": [{"path": "frame.txt", "side": "new", "line": 2}]})
    assert api(proposed.forge, "DELETE", f"{proposed.path}/stances/mine",
               proposed.alice.token)[0] == 204
    [comment] = proposed.read()["comments"]
    assert comment["body"] == "Slips" and comment["objection"] is False


# ---------------------------------------------------------------- rules

def test_hunk_headers_and_lines_in_the_diff():
    hunks = line_rules.parse_hunk_headers([
        "diff --git a/f b/f", "@@ -1,5 +1,6 @@ def f():", " x", "@@ -20 +21,0 @@"])
    assert hunks == [Hunk(1, 5, 1, 6), Hunk(20, 1, 21, 0)]
    assert line_rules.in_diff(hunks, "new", 6) and not line_rules.in_diff(hunks, "new", 7)
    assert line_rules.in_diff(hunks, "old", 20) and not line_rules.in_diff(hunks, "new", 21)


def test_following_a_line_through_a_revision():
    # -U0 hunks: line 2 replaced, two lines inserted after 4, line 9 deleted.
    hunks = [Hunk(2, 1, 2, 1), Hunk(4, 0, 5, 2), Hunk(9, 1, 10, 0)]
    assert line_rules.follow_line(hunks, 1) == 1
    assert line_rules.follow_line(hunks, 2) is None
    assert line_rules.follow_line(hunks, 4) == 4
    assert line_rules.follow_line(hunks, 5) == 7
    assert line_rules.follow_line(hunks, 9) is None
    assert line_rules.follow_line(hunks, 12) == 13
    # A deleted file is one hunk over every line.
    assert line_rules.follow_line([Hunk(1, 5, 0, 0)], 3) is None


def test_places_bodies_and_anchors():
    assert line_rules.check_place(" src/a.py ", "new", 3) == "src/a.py"
    for path, side, line in [("a", "left", 1), ("a", "new", 0), ("", "new", 1),
                             ("a/../b", "old", 1), ("a\0b", "new", 1)]:
        with pytest.raises(LineError):
            line_rules.check_place(path, side, line)
    with pytest.raises(LineError, match="keep it to 3"):
        line_rules.check_body("four", 3)
    with pytest.raises(LineError, match="required"):
        line_rules.check_body(" \n", 3)
    # The same id as the line's row in the rendered diff.
    assert line_rules.line_anchor("frame.txt", "new", 2) == diff_rules.line_anchor(
        "frame.txt", "new", 2)
