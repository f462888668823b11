"""Proposals from outside with the real git client against a real server:
anyone logged in pushes to refs/for/<branch>[/<topic>], member or not, and
opens (or revises) a merge proposal whose commits live under
refs/proposals/<n>/head; members decide, and a passed one is merged."""

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.git.models import Push
from commons.governance import services
from commons.governance.models import Proposal
from commons.projects import services as projects
from tests.git.test_governance import api, tick


def _clone(forge, slug, tmp_path, name, person=None) -> Path:
    work = tmp_path / name
    forge.git("clone", "-q", forge.url(slug, person), str(work))
    return work


def _seed(forge, slug, tmp_path) -> str:
    """main with one commit, written straight into the repository as history
    from before the platform: with no reflog entry, so it is no push (one
    written on the server is recorded as a push by no one; see
    test_push_records)."""
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    seed = tmp_path / "seed"
    forge.git("clone", "-q", str(repo), str(seed))
    forge.commit(seed, "frame.txt", "steel\n", "Frame")
    forge.git("push", "-q", "--receive-pack=git -c core.logAllRefUpdates=false receive-pack",
              "origin", "HEAD:refs/heads/main", cwd=seed)
    return forge.server_ref(slug, "refs/heads/main")


def _server_refs(forge, slug) -> list[str]:
    path = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    return forge.git("-C", str(path), "for-each-ref", "--format=%(refname)").stdout.split()


def _recorded(forge) -> tuple[int, int]:
    """How many proposals and pushes the database holds."""
    with forge.app.app_context():
        counts = (db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)),
                  db.session.scalar(sa.select(sa.func.count()).select_from(Push)))
        db.session.remove()
    return counts


def _nothing_recorded(forge, slug, before=(0, 0)) -> None:
    assert _recorded(forge) == before
    refs = _server_refs(forge, slug)
    assert not [ref for ref in refs if not ref.startswith(("refs/heads/", "refs/tags/"))
                and not ref.startswith("refs/proposals/")], refs
    if before == (0, 0):
        assert not [ref for ref in refs if ref.startswith("refs/proposals/")], refs


def test_an_outsider_proposes_revises_and_the_members_merge(forge, tmp_path):
    alice, bob, carol = forge.person("alice"), forge.person("bob"), forge.person("carol")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)

    work = _clone(forge, slug, tmp_path, "bob")
    first = forge.commit(work, "frame.txt", "bamboo\n", "Bamboo frame\n\nLighter and greener.",
                         author=bob)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work)
    url = f"{forge.base}/projects/{slug}/proposals/1"
    assert "remote: Merge proposal #1 into main is open:" in pushed.stderr, pushed.stderr
    assert f"remote:     {url}" in pushed.stderr
    assert "[new reference]" in pushed.stderr and "HEAD -> refs/for/main" in pushed.stderr

    status, proposal = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert status == 200 and proposal["author"] == "bob" and proposal["kind"] == "merge"
    assert proposal["title"] == "Bamboo frame" and proposal["body"] == "Lighter and greener."
    assert proposal["details"]["head"] == first and proposal["details"]["target"] == "main"
    assert proposal["details"]["topic"] == "" and proposal["status"] == "open"
    assert forge.server_ref(slug, "refs/proposals/1/head") == first
    with urllib.request.urlopen(url) as page:
        html = page.read().decode()
    assert "<code>refs/for/main</code>" in html and "refs/proposals/1/head" in html
    # Never a branch, never visible as refs/for or the platform's own refs.
    advertised = forge.git("ls-remote", forge.url(slug)).stdout
    assert "refs/for" not in advertised and "refs/commons" not in advertised
    assert f"{first}\trefs/proposals/1/head" in advertised
    assert [ref for ref in _server_refs(forge, slug) if ref.startswith("refs/heads/")] == [
        "refs/heads/main"]
    forge.pushes(1)

    # The same push again with a new commit revises it.
    second = forge.commit(work, "frame.txt", "bamboo, oiled\n", "Oil the bamboo", author=bob)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work)
    assert "remote: Merge proposal #1 into main is revised (revision 2):" in pushed.stderr
    status, revised = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert revised["revision"] == 2 and revised["details"]["head"] == second
    assert revised["title"] == "Bamboo frame"
    assert forge.server_ref(slug, "refs/proposals/1/head") == second
    forge.pushes(2)

    # Another person's push to the same place opens their own proposal;
    # a topic keeps a second proposal of bob's apart.
    carols = _clone(forge, slug, tmp_path, "carol")
    forge.commit(carols, "wheels.txt", "four\n", "Four wheels", author=carol)
    pushed = forge.git("push", forge.url(slug, carol), "HEAD:refs/for/main", cwd=carols)
    assert f"{forge.base}/projects/{slug}/proposals/2" in pushed.stderr
    forge.git("checkout", "-q", "-b", "bell", "origin/main", cwd=work)
    forge.commit(work, "bell.txt", "ring\n", "A bell", author=bob)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main/bell", cwd=work)
    assert f"{forge.base}/projects/{slug}/proposals/3" in pushed.stderr
    _, bell = api(forge, "GET", f"/projects/{slug}/proposals/3")
    assert bell["author"] == "bob" and bell["details"]["topic"] == "bell"
    assert api(forge, "GET", f"/projects/{slug}/proposals/1")[1]["revision"] == 2
    _withdraw(forge, slug, 3, "bob")  # the author may, member or not
    assert api(forge, "GET", f"/projects/{slug}/proposals/3")[1]["status"] == "withdrawn"

    # Members (and the people whose lines it changes) decide, not its author.
    assert api(forge, "POST", f"/projects/{slug}/proposals/1/stances", bob.token,
               {"stance": "support"})[0] == 403
    assert api(forge, "POST", f"/projects/{slug}/proposals/1/stances", alice.token,
               {"stance": "support"})[0] == 201
    assert "passed" in tick(forge)
    _, decided = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert decided["status"] == "passed", decided
    check = _clone(forge, slug, tmp_path, "check")
    history = forge.git("log", "--format=%H", cwd=check).stdout.split()
    assert first in history and second in history
    assert (check / "frame.txt").read_text() == "bamboo, oiled\n"
    message = forge.git("log", "-1", "--format=%B", decided["result"]["merge_commit"],
                        cwd=check).stdout
    assert f"Decided-by: {url}" in message
    forge.fsck(slug)


def _withdraw(forge, slug, number, username) -> None:
    with forge.app.app_context():
        project = projects.get_project(db.session, slug)
        proposal = services.get_proposal(db.session, project, number)
        services.withdraw_proposal(db.session, proposal, accounts.find_user(db.session, username),
                                   app_clock.now())
        db.session.commit()
        db.session.remove()


def test_a_topic_targets_a_branch_with_slashes(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice, push="direct")
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "alice", alice)
    forge.git("push", "-q", "origin", "HEAD:refs/heads/release/1.0", cwd=work)
    bobs = _clone(forge, slug, tmp_path, "bob")
    forge.git("checkout", "-q", "-b", "fix", "origin/release/1.0", cwd=bobs)
    fix = forge.commit(bobs, "fix.txt", "fixed\n", "Fix the release", author=bob)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/release/1.0/fix", cwd=bobs)
    assert "Merge proposal #1 into release/1.0 is open" in pushed.stderr, pushed.stderr
    _, proposal = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert proposal["details"]["target"] == "release/1.0"
    assert proposal["details"]["topic"] == "fix"
    before = forge.server_ref(slug, "refs/heads/main")
    assert "passed" in tick(forge)
    assert forge.server_ref(slug, "refs/heads/main") == before
    merged = forge.server_ref(slug, "refs/heads/release/1.0")
    assert forge.git("-C", str(Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"),
                     "merge-base", "--is-ancestor", fix, merged, check=False).returncode == 0


def test_a_member_of_a_review_project_may_propose_the_same_way(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "alice", alice)
    head = forge.commit(work, "a.txt", "a\n", "A change")
    pushed = forge.git("push", "origin", "HEAD:refs/for/main", cwd=work)
    assert f"{forge.base}/projects/{slug}/proposals/1" in pushed.stderr
    _, proposal = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert proposal["author"] == "alice" and proposal["details"]["head"] == head
    # An ordinary branch push still works as before.
    forge.git("push", "-q", "origin", "HEAD:refs/heads/a-change", cwd=work)
    assert forge.server_ref(slug, "refs/heads/a-change") == head


def test_a_non_member_pushing_a_branch_is_told_about_refs_for(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/heads/bobs", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert "bob is not a member of Dryer, so cannot push to it." in refused.stderr
    assert "git push origin HEAD:refs/for/main" in refused.stderr
    _nothing_recorded(forge, slug)


def test_refs_for_a_branch_that_does_not_exist_is_refused(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/develop/x", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert "Dryer has no branch named 'develop/x' or a prefix of it" in refused.stderr
    assert "git push origin HEAD:refs/for/main" in refused.stderr
    _nothing_recorded(forge, slug)


def test_nothing_beyond_the_target_is_refused(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    main = _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert f"{main[:10]} has no commits that main lacks" in refused.stderr, refused.stderr
    assert "no commits beyond main" in refused.stderr
    _nothing_recorded(forge, slug)


def test_refs_for_mixed_with_a_branch_or_deleted_is_refused(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "alice", alice)
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", "origin", "HEAD:refs/for/main", "HEAD:refs/heads/side",
                        cwd=work, check=False)
    assert refused.returncode != 0
    assert "push to refs/for/... on its own" in refused.stderr
    assert forge.server_ref(slug, "refs/heads/side") is None
    _nothing_recorded(forge, slug)


@pytest.mark.server_config(OUTSIDE_PUSH_MAX_BYTES=100_000)
def test_an_outside_push_over_the_size_cap_is_refused(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    forge.commit(work, "noise.bin", os.urandom(300_000), "Noise", author=bob)
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert "exceeds maximum allowed size" in refused.stderr, refused.stderr
    assert "at most 100000 bytes (COMMONS_OUTSIDE_PUSH_MAX_BYTES)" in refused.stderr
    _nothing_recorded(forge, slug)


@pytest.mark.server_config(OUTSIDE_PUSH_RATE_LIMIT="2 per hour")
def test_outside_pushes_over_the_rate_limit_are_refused(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    for number in range(2):
        forge.commit(work, "a.txt", f"{number}\n", f"Change {number}", author=bob)
        forge.git("push", "-q", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work)
    forge.pushes(2)
    forge.commit(work, "a.txt", "third\n", "Third", author=bob)
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert "bob has reached the limit of 2 per hour pushes to refs/for/" in refused.stderr
    assert "(COMMONS_OUTSIDE_PUSH_RATE_LIMIT); wait" in refused.stderr, refused.stderr
    _, proposal = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert proposal["revision"] == 2  # the third push changed nothing
    assert _recorded(forge) == (1, 2)


def test_an_anonymous_push_to_refs_for_is_refused(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "anonymous")
    forge.commit(work, "a.txt", "a\n", "A")
    refused = forge.git("push", forge.url(slug), "HEAD:refs/for/main", cwd=work, check=False)
    assert refused.returncode != 0
    request = urllib.request.Request(f"{forge.url(slug)}/info/refs?service=git-receive-pack")
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request)
    assert answer.value.code == 401
    assert "Pushing needs your username and a personal access token" in \
        answer.value.read().decode()
    _nothing_recorded(forge, slug)


def test_a_project_that_refuses_outsiders_takes_proposals_only_from_members(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice, outside="refuse")
    _seed(forge, slug, tmp_path)
    advertised = forge.git("ls-remote", forge.url(slug)).stdout

    work = _clone(forge, slug, tmp_path, "bob")
    forge.commit(work, "a.txt", "a\n", "A change", author=bob)
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert (f"remote: commons refused this push: Dryer takes proposals only from its members "
            f"(policy: outside = refuse). Join it at {forge.base}/projects/{slug} and push "
            "again.") in refused.stderr, refused.stderr
    assert "Dryer takes proposals only from its members" in refused.stderr  # the ng reason
    _nothing_recorded(forge, slug)
    assert forge.git("ls-remote", forge.url(slug)).stdout == advertised
    # Pushing a branch instead no longer points at refs/for/.
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/heads/bobs", cwd=work,
                        check=False)
    assert "bob is not a member of Dryer" in refused.stderr and "refs/for" not in refused.stderr
    _nothing_recorded(forge, slug)

    # A member still proposes through refs/for/.
    mine = _clone(forge, slug, tmp_path, "alice", alice)
    head = forge.commit(mine, "b.txt", "b\n", "B change")
    pushed = forge.git("push", "origin", "HEAD:refs/for/main", cwd=mine)
    assert "remote: Merge proposal #1 into main is open:" in pushed.stderr, pushed.stderr
    _, proposal = api(forge, "GET", f"/projects/{slug}/proposals/1")
    assert proposal["author"] == "alice" and proposal["details"]["head"] == head
    assert forge.server_ref(slug, "refs/proposals/1/head") == head
    # So does bob, once he has joined.
    forge.join(bob, slug)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work)
    assert "remote: Merge proposal #2 into main is open:" in pushed.stderr, pushed.stderr


def test_a_passed_policy_proposal_turns_outside_proposals_off(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    _seed(forge, slug, tmp_path)
    work = _clone(forge, slug, tmp_path, "bob")
    forge.commit(work, "a.txt", "a\n", "A change", author=bob)

    status, opened = api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
                         {"kind": "policy", "title": "Members only",
                          "policy": {"outside": "refuse"}})
    assert status == 201, opened
    assert opened["details"] == {"outside": "refuse"}
    assert "passed" in tick(forge)
    _, project = api(forge, "GET", f"/projects/{slug}")
    assert project["policy"]["outside"] == "refuse"
    refused = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work,
                        check=False)
    assert refused.returncode != 0
    assert "takes proposals only from its members (policy: outside = refuse)" in refused.stderr
    assert _recorded(forge) == (1, 0)  # the policy proposal alone

    # And a second one opens the project again.
    api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
        {"kind": "policy", "title": "Welcome everyone", "policy": {"outside": "accept"}})
    assert "passed" in tick(forge, days=8)
    pushed = forge.git("push", forge.url(slug, bob), "HEAD:refs/for/main", cwd=work)
    assert "remote: Merge proposal #3 into main is open:" in pushed.stderr, pushed.stderr
