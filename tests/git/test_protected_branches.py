"""What was proposed stays what was proposed: with the real git client
against a real server, only a merge proposal's author moves or deletes its
branch, every revision names who pushed it, the merge is credited to the
proposal's author and committed by the platform, and a new branch's push
prints where to propose it."""

import time
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from commons.extensions import db
from commons.governance.models import Proposal
from tests.git.test_governance import api, tick


def until(check, what: str):
    """The server revises proposals after git has answered; wait for it."""
    deadline = time.monotonic() + 20
    while not (found := check()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)
    return found


def proposal(forge, slug: str, number: int) -> dict:
    return api(forge, "GET", f"/projects/{slug}/proposals/{number}")[1]


def timeline(forge, number: int) -> list[tuple[str | None, str]]:
    with forge.app.app_context():
        found = db.session.scalar(sa.select(Proposal).where(Proposal.number == number))
        events = [(e.actor.username if e.actor else None, e.text)
                  for e in sorted(found.events, key=lambda e: e.id)]
        db.session.remove()
    return events


def proposed_topic(forge, tmp_path):
    """alice proposes merging her branch topic; bob, a member, has a clone."""
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    forge.join(bob, slug)
    mine = tmp_path / "alice"
    forge.git("clone", "-q", forge.url(slug, alice), str(mine))
    forge.git("checkout", "-q", "-b", "topic", cwd=mine)
    head = forge.commit(mine, "brake.txt", "disc\n", "Disc brakes", author=alice)
    forge.git("push", "-q", "origin", "topic", cwd=mine)
    status, opened = api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
                         {"kind": "merge", "title": "Disc brakes", "branch": "topic"})
    assert status == 201, opened
    theirs = tmp_path / "bob"
    forge.git("clone", "-q", "-b", "topic", forge.url(slug, bob), str(theirs))
    return alice, bob, slug, opened["number"], head, mine, theirs


def test_a_member_cannot_force_push_over_someone_elses_proposed_branch(forge, tmp_path):
    alice, bob, slug, number, head, _, theirs = proposed_topic(forge, tmp_path)
    forge.git("commit", "-q", "--amend", "-m", "Rim brakes, quietly", cwd=theirs,
              env={"GIT_AUTHOR_NAME": "bob", "GIT_AUTHOR_EMAIL": "bob@example.org"})

    pushed = forge.git("push", "-f", "origin", "topic", cwd=theirs, check=False)

    assert pushed.returncode != 0
    url = f"{forge.base}/projects/{slug}/proposals/{number}"
    assert (f"remote: commons refused this push: refs/heads/topic: proposal #{number} by "
            f"alice pins this branch; only alice may move it while the proposal is undecided "
            f"({url}).") in pushed.stderr
    assert "remote:   - push your commits to a branch of your own and propose its merge" \
        in pushed.stderr
    assert f"remote:   - or comment on the proposal, or object to it, at {url}" in pushed.stderr
    assert forge.server_ref(slug, "refs/heads/topic") == head
    # A fast-forward is refused the same way: it too changes what was proposed.
    forge.commit(theirs, "bell.txt", "ding\n", "A bell", author=bob)
    assert forge.git("push", "origin", "HEAD:refs/heads/topic", cwd=theirs,
                     check=False).returncode != 0
    assert forge.server_ref(slug, "refs/heads/topic") == head
    unchanged = proposal(forge, slug, number)
    assert (unchanged["revision"], unchanged["details"]["head"]) == (1, head)
    # bob's own branch is his to push, and to propose.
    forge.git("push", "-q", "origin", "HEAD:refs/heads/bell", cwd=theirs)


def test_the_author_revises_by_pushing_and_the_timeline_names_them(forge, tmp_path):
    alice, _, slug, number, head, mine, _ = proposed_topic(forge, tmp_path)
    forge.git("commit", "-q", "--amend", "-m", "Disc brakes, hydraulic", cwd=mine)
    moved = forge.git("rev-parse", "HEAD", cwd=mine).stdout.strip()

    forge.git("push", "-q", "-f", "origin", "topic", cwd=mine)

    revised = until(lambda: (p := proposal(forge, slug, number))["revision"] == 2 and p,
                    "the proposal is revised")
    assert revised["details"]["head"] == moved and revised["status"] == "open"
    actor, text = timeline(forge, number)[-1]
    assert actor == "alice"
    assert text.startswith(f"alice pushed {moved[:10]} (revision 2)")


def test_only_the_author_deletes_the_branch_and_deleting_withdraws(forge, tmp_path):
    _, _, slug, number, head, mine, theirs = proposed_topic(forge, tmp_path)

    refused = forge.git("push", "origin", ":topic", cwd=theirs, check=False)

    assert refused.returncode != 0
    assert "only alice may delete it while the proposal is undecided" in refused.stderr
    assert forge.server_ref(slug, "refs/heads/topic") == head
    assert proposal(forge, slug, number)["status"] == "open"

    forge.git("push", "-q", "origin", ":topic", cwd=mine)

    until(lambda: proposal(forge, slug, number)["status"] == "withdrawn",
          "the proposal is withdrawn")
    assert timeline(forge, number)[-1] == ("alice", "withdrawn: alice deleted the branch topic.")
    # Withdrawn, the name is free again for anyone.
    forge.git("push", "-q", "origin", "topic", cwd=theirs)


def test_a_proposal_whose_author_is_gone_may_be_moved_by_a_member(forge, tmp_path):
    _, bob, slug, number, _, _, theirs = proposed_topic(forge, tmp_path)
    with forge.app.app_context():  # as when an account is deleted (author_id SET NULL)
        db.session.execute(sa.update(Proposal).where(Proposal.number == number)
                           .values(author_id=None))
        db.session.commit()
    moved = forge.commit(theirs, "bell.txt", "ding\n", "A bell", author=bob)

    forge.git("push", "-q", "origin", "topic", cwd=theirs)

    until(lambda: proposal(forge, slug, number)["revision"] == 2, "the proposal is revised")
    assert timeline(forge, number)[-1][0] == "bob"
    assert timeline(forge, number)[-1][1].startswith(f"bob pushed {moved[:10]} (revision 2)")


def test_the_merge_is_by_the_proposals_author_and_committed_by_the_platform(forge, tmp_path):
    alice, bob, slug, number, head, mine, _ = proposed_topic(forge, tmp_path)
    # A commit by someone else inside the branch keeps its own author.
    forge.commit(mine, "bell.txt", "ding\n", "A bell", author=bob)
    forge.git("push", "-q", "origin", "topic", cwd=mine)
    until(lambda: proposal(forge, slug, number)["revision"] == 2, "the proposal is revised")
    forge.app.config.update(COMMITTER_NAME="Seed Forge", COMMITTER_EMAIL="forge@seeds.example")

    assert "passed" in tick(forge)

    check = tmp_path / "check"
    forge.git("clone", "-q", forge.url(slug), str(check))
    merge = forge.git("log", "-1", "--format=%an|%ae|%cn|%ce|%P", cwd=check).stdout.strip()
    assert merge.split("|")[:4] == ["alice", "alice@example.org", "Seed Forge",
                                    "forge@seeds.example"]
    inside = forge.git("log", "--format=%an|%ae", "HEAD^1..HEAD^2", cwd=check).stdout.split()
    assert inside == ["bob|bob@example.org", "alice|alice@example.org"]


def test_a_new_branch_push_prints_where_to_propose_it(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")  # so main may be pushed too
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.commit(work, "seat.txt", "leather\n", "Seat")

    created = forge.git("push", "origin", "HEAD:refs/heads/fix/a&b", "HEAD:refs/heads/café",
                        cwd=work)

    lines = [line.removeprefix("remote:").strip() for line in created.stderr.splitlines()]
    urls = [line for line in lines if line.startswith(forge.base)]
    assert "To propose merging fix/a&b, open:" in lines
    assert "To propose merging café, open:" in lines
    assert [parse_qs(urlsplit(url).query) for url in urls] == [
        {"kind": ["merge"], "branch": ["fix/a&b"]}, {"kind": ["merge"], "branch": ["café"]}]
    assert {urlsplit(url).path for url in urls} == {f"/projects/{slug}/proposals/new"}

    forge.commit(work, "seat.txt", "cork\n", "Cork seat")
    updated = forge.git("push", "origin", "HEAD:refs/heads/fix/a&b", "HEAD:refs/heads/main",
                        cwd=work)
    deleted = forge.git("push", "origin", ":refs/heads/café", cwd=work)
    for output in (updated.stderr, deleted.stderr):
        assert "To propose" not in output and "proposals/new" not in output


def test_a_refused_push_prints_no_propose_url(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="review")
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    forge.commit(work, "seat.txt", "leather\n", "Seat")
    refused = forge.git("push", "origin", "HEAD:refs/heads/main", "HEAD:refs/heads/seat",
                        cwd=work, check=False)
    assert refused.returncode != 0 and "proposals/new" not in refused.stderr
    assert forge.server_ref(slug, "refs/heads/seat") is None
