"""The branches and tags pages: in date order with annotated tags, paged,
and kept per worker only while the refs stay as they are."""

import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from flask import request, url_for

from commons.git import reading, ref_lists
from commons.urls import urls_for

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def bare(tagged_dryer) -> Path:
    return tagged_dryer


def names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/projects/dryer/tree/([^"]+)">', html)


def test_tags_come_newest_first_though_annotated_and_are_paged(client, bare):
    first = client.get("/projects/dryer/tags").get_data(as_text=True)
    # git's --sort=-committerdate leaves annotated tags in name order
    # (r1, r10, r100, ...): these are by the commit each names.
    assert names(first) == [f"r{n}" for n in range(129, 29, -1)]
    assert "Release 129" in first
    following = re.search(r'<a href="([^"]+)" rel="next">Next</a>', first).group(1)
    second = client.get(following.replace("&amp;", "&")).get_data(as_text=True)
    assert names(second) == [f"r{n}" for n in range(29, 0, -1)]
    assert 'rel="next"' not in second and ">First page</a>" in second
    bad = client.get("/projects/dryer/tags?after=bm90LWEta2V5")
    assert bad.status_code == 400 and "cursor" in bad.get_data(as_text=True)


def test_branches_in_date_order(client, bare):
    html = client.get("/projects/dryer/branches").get_data(as_text=True)
    assert names(html) == ["main", "old"] and "(default)" in html


def test_a_kept_list_follows_every_change_of_the_refs(app, client, bare):
    with app.app_context():
        kept = reading.refs(bare, "heads")
        assert reading.refs(bare, "heads") is kept  # kept: git is not asked again
        heads = git("rev-list", "main", cwd=bare).split()
        # Moved twice within one tick of the file system's clock, the
        # second time back to a file of the same size: the content tells.
        git("update-ref", "refs/heads/old", heads[5], cwd=bare)
        assert [r.sha for r in reading.refs(bare, "heads") if r.name == "old"] == [heads[5]]
        git("update-ref", "refs/heads/old", heads[6], cwd=bare)
        assert [r.sha for r in reading.refs(bare, "heads") if r.name == "old"] == [heads[6]]
        git("pack-refs", "--all", cwd=bare)
        git("update-ref", "refs/heads/fresh", heads[0], cwd=bare)
        assert [r.name for r in reading.refs(bare, "heads")] == ["fresh", "main", "old"]
        git("update-ref", "-d", "refs/heads/fresh", cwd=bare)
        assert [r.name for r in reading.refs(bare, "heads")] == ["main", "old"]
        # Tags are kept apart from branches: a new branch does not make
        # the tags' list be read again.
        tags = reading.refs(bare, "tags")
        git("branch", "another", heads[3], cwd=bare)
        assert reading.refs(bare, "tags") is tags


def test_a_list_made_while_the_refs_moved_is_not_kept(app, bare):
    heads = git("rev-list", "main", cwd=bare).split()
    was = git("rev-parse", "refs/heads/old", cwd=bare)

    def moving():
        # A push lands after the refs' state was read, before git lists them.
        git("update-ref", "refs/heads/old", heads[2], cwd=bare)
        return reading._listed(bare, "refs/heads/")

    with app.app_context():
        listed = ref_lists.listed(bare, "heads", lambda names: None, moving)
        assert [r.sha for r in listed if r.name == "old"] == [heads[2]]
        assert (str(bare), "heads") not in ref_lists._kept
        # Back where it was when the listing started: had that list been
        # kept under the state read before it, it would show heads[2] now.
        git("update-ref", "refs/heads/old", was, cwd=bare)
        assert [r.sha for r in reading.refs(bare, "heads") if r.name == "old"] == [was]


def test_a_tag_pushed_to_the_server_shows_at_once(forge, tmp_path):
    """Through gunicorn's workers, which keep the lists: each view after a
    push, whichever worker serves it, shows the push."""
    ada = forge.person("ada")
    forge.project(ada, "dryer")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url("dryer", ada), str(work))
    for number in range(3):
        forge.git("tag", "-a", f"v{number}", "-m", f"Version {number}", cwd=work)
        forge.git("push", "-q", "origin", f"v{number}", cwd=work)
        for _ in range(4):  # both workers, more than once
            with urllib.request.urlopen(f"{forge.base}/projects/dryer/tags") as response:
                html = response.read().decode()
            # One commit, so one date: by name.
            assert names(html) == [f"v{n}" for n in range(number + 1)]
    forge.git("push", "-q", "origin", ":v1", cwd=work)
    with urllib.request.urlopen(f"{forge.base}/projects/dryer/tags") as response:
        assert names(response.read().decode()) == ["v0", "v2"]


@pytest.mark.parametrize("value", ["main", "feature/frame", "ünï code", "a b#c?d", "c++",
                                   "50%", "x;y=z@w", "~tilde", "..."])
def test_urls_for_quotes_as_url_for_does(app, value):
    with app.test_request_context("/"):
        for endpoint, field in (("browse.tree", "spec"), ("browse.archive", "spec"),
                                ("browse.commit", "sha")):
            assert urls_for(endpoint, field, slug="dryer")(value) == \
                url_for(endpoint, slug="dryer", **{field: value})


@pytest.mark.parametrize("value", ["feature/frame", "a b&c=d#e?f+g", "50%", "ünï"])
def test_urls_for_a_query_value_reads_back_as_the_value(app, value):
    with app.test_request_context("/"):
        address = urls_for("governance.new", "branch", slug="dryer", kind="merge")(value)
    assert address.startswith("/projects/dryer/proposals/new?")
    path, _, query = address.partition("?")
    with app.test_request_context(path, query_string=query):
        assert request.args["branch"] == value and request.args["kind"] == "merge"


def test_a_symbolic_ref_is_never_kept(app, bare):
    """It may name a ref of the other kind, whose moves the list's state
    does not see."""
    heads = git("rev-list", "main", cwd=bare).split()
    git("symbolic-ref", "refs/tags/alias", "refs/heads/old", cwd=bare)
    with app.app_context():
        first = [r.sha for r in reading.refs(bare, "tags") if r.name == "alias"]
        git("update-ref", "refs/heads/old", heads[4], cwd=bare)
        assert first != [heads[4]]
        assert [r.sha for r in reading.refs(bare, "tags") if r.name == "alias"] == [heads[4]]


def test_the_lists_kept_are_bounded_by_their_refs(app, bare, monkeypatch):
    monkeypatch.setattr(ref_lists, "_kept", type(ref_lists._kept)())
    monkeypatch.setattr(ref_lists, "_KEPT_REFS", 100)
    with app.app_context():
        assert reading.refs(bare, "tags") is not reading.refs(bare, "tags")  # 129: too long
        heads = reading.refs(bare, "heads")
        assert reading.refs(bare, "heads") is heads
        monkeypatch.setattr(ref_lists, "_KEPT_REFS", 130)
        tags = reading.refs(bare, "tags")  # kept, with the 2 heads: 131, so the heads go
        assert reading.refs(bare, "tags") is tags
        assert reading.refs(bare, "heads") is not heads  # and now the tags go
        assert reading.refs(bare, "tags") is not tags
