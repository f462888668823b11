"""Proposals from opening to the effect, against a real repository."""


import pytest

from commons import clock as app_clock
from commons.extensions import db
from commons.governance import services
from commons.governance.models import Proposal
from commons.problems import Conflict, Forbidden, Invalid
from commons.projects.models import Project
from tests.governance.conftest import git


@pytest.fixture
def dryer(scene):
    """alice founds it; bob wrote main's frame.txt; alice proposes a branch
    that rewrites bob's lines."""
    alice, bob, carol = scene.person("alice"), scene.person("bob"), scene.person("carol")
    project = scene.project(alice)
    scene.join(project, carol)
    scene.commit("frame.txt", "one\ntwo\nthree\n", "Frame", "bob", "main")
    head = scene.commit("frame.txt", "one\n2\nthree\n", "Better frame", "alice", "better-frame")
    return scene, project, alice, bob, carol, head


def test_a_merge_passes_in_silence_and_lands_with_a_decided_by_trailer(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "merge", "Better frame", "",
                                      {"branch": "better-frame"}, scene.settings(), scene.clock())
    db.session.commit()
    assert proposal.details == {"branch": "better-frame", "head": head}
    # bob wrote the line it changes: he is affected, with standing, though no member.
    assert [(p.user.username, p.weight) for p in proposal.affected] == [("bob", 1)]
    assert scene.tick() == []  # the window is open
    scene.clock.advance(hours=72)
    [decided] = scene.tick()
    assert decided.status == "passed" and "Merged" in decided.outcome
    log = git("log", "-1", "--format=%P%n%B", "main", cwd=scene.repo)
    parents, message = log.split("\n", 1)
    assert head in parents.split()
    assert "Decided-by: http://commons.test/projects/dryer/proposals/1" in message
    git("fsck", "--strict", cwd=scene.repo)
    assert scene.tick() == []  # decided once


def test_an_affected_non_member_objection_blocks_then_revision_restarts(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "merge", "Better frame", "",
                                      {"branch": "better-frame"}, scene.settings(), scene.clock())
    services.take_stance(db.session, proposal, bob, "object", "2 is not a word", scene.clock())
    services.take_stance(db.session, proposal, carol, "support", "", scene.clock())
    db.session.commit()
    scene.clock.advance(hours=73)
    [decided] = scene.tick()
    assert decided.status == "blocked"
    before = git("rev-parse", "main", cwd=scene.repo).strip()
    # The branch moves: the proposal is revised, stances stale, window restarts.
    moved = scene.commit("frame.txt", "one\ntwo, better\nthree\n", "Keep the word", "alice",
                         "better-frame")
    [revised] = services.revise_merges_for_push(db.session, project,
                                                {"refs/heads/better-frame": moved},
                                                scene.settings(), scene.clock())
    db.session.commit()
    assert revised.status == "open" and revised.revision == 2
    assert revised.details["head"] == moved
    assert revised.closes_at == scene.clock() + __import__("datetime").timedelta(hours=72)
    assert services.current_tally(db.session, revised).objections == 0  # stale now
    scene.clock.advance(hours=72)
    [decided] = scene.tick()
    assert decided.status == "passed"
    assert moved in git("log", "--format=%H", "main", cwd=scene.repo).split()
    assert before != git("rev-parse", "main", cwd=scene.repo).strip()


def test_stances_change_while_open_and_each_person_withdraws_only_their_own(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "decision", "Paint it green",
                                      "", {}, scene.settings(), scene.clock())
    services.take_stance(db.session, proposal, carol, "object", "Red is cheaper", scene.clock())
    with pytest.raises(Invalid, match="needs a reason"):
        services.take_stance(db.session, proposal, carol, "object", " ", scene.clock())
    services.take_stance(db.session, proposal, carol, "abstain", "", scene.clock())
    services.take_stance(db.session, proposal, alice, "support", "", scene.clock())
    db.session.commit()
    assert sorted(s.stance for s in proposal.stances) == ["abstain", "support"]
    services.withdraw_stance(db.session, proposal, carol, scene.clock())
    db.session.commit()
    assert [(s.user.username, s.stance) for s in proposal.stances] == [("alice", "support")]
    from commons.problems import NotFound
    with pytest.raises(NotFound, match="no stance"):
        services.withdraw_stance(db.session, proposal, carol, scene.clock())


def test_stances_need_standing_and_an_open_proposal(dryer):
    scene, project, alice, bob, carol, head = dryer
    dave = scene.person("dave")
    proposal = services.open_proposal(db.session, project, alice, "decision", "Paint it green",
                                      "", {}, scene.settings(), scene.clock())
    with pytest.raises(Forbidden, match="Stances count from the project's members"):
        services.take_stance(db.session, proposal, dave, "object", "no", scene.clock())
    services.add_comment(db.session, proposal, dave, "Green fades in the sun.", scene.clock())
    db.session.commit()
    scene.clock.advance(days=4)
    scene.tick()
    with pytest.raises(Conflict, match="is passed"):
        services.take_stance(db.session, proposal, carol, "support", "", scene.clock())


def test_a_conflicting_merge_fails_and_names_the_paths(dryer):
    scene, project, alice, bob, carol, head = dryer
    services.open_proposal(db.session, project, alice, "merge", "Better frame", "",
                           {"branch": "better-frame"}, scene.settings(), scene.clock())
    db.session.commit()
    git("checkout", "-q", "main", cwd=scene.work)
    scene.commit("frame.txt", "one\nTWO\nthree\n", "Shout", "bob", "main")
    main_before = git("rev-parse", "main", cwd=scene.repo).strip()
    scene.clock.advance(hours=72)
    [decided] = scene.tick()
    assert decided.status == "failed"
    assert "conflicts with main in: frame.txt" in decided.outcome
    assert git("rev-parse", "main", cwd=scene.repo).strip() == main_before


def test_bad_merge_proposals_are_refused(dryer):
    scene, project, alice, bob, carol, head = dryer
    with pytest.raises(Invalid, match="There is no branch “nope”"):
        services.open_proposal(db.session, project, alice, "merge", "x", "", {"branch": "nope"},
                               scene.settings(), scene.clock())
    git("checkout", "-q", "-B", "old", "main", cwd=scene.work)
    git("push", "-q", "origin", "old", cwd=scene.work)
    with pytest.raises(Invalid, match="already merged"):
        services.open_proposal(db.session, project, alice, "merge", "x", "", {"branch": "old"},
                               scene.settings(), scene.clock())
    with pytest.raises(Invalid, match="is the default branch"):
        services.open_proposal(db.session, project, alice, "merge", "x", "", {"branch": "main"},
                               scene.settings(), scene.clock())
    outsider = scene.person("erin")
    with pytest.raises(Forbidden, match="Only members"):
        services.open_proposal(db.session, project, outsider, "decision", "x", "", {},
                               scene.settings(), scene.clock())


def test_a_consent_join_becomes_a_membership_when_it_passes(scene):
    alice, bob = scene.person("alice"), scene.person("bob")
    project = scene.project(alice, admission="consent")
    from commons.projects import services as projects
    membership = projects.join_project(db.session, project, bob, now=app_clock.now())
    proposal = services.request_membership(db.session, project, bob, scene.settings(),
                                           scene.clock())
    db.session.commit()
    assert membership.status == "pending" and proposal.kind == "membership"
    with pytest.raises(Conflict, match="already asks to admit bob"):
        services.request_membership(db.session, project, bob, scene.settings(), scene.clock())
    scene.clock.advance(hours=72)
    scene.tick()
    db.session.refresh(project)
    assert project.is_member(bob)


def test_licence_change_commits_the_new_text_and_refuses_closed_licences(dryer):
    scene, project, alice, bob, carol, head = dryer
    with pytest.raises(Invalid, match="not an open licence"):
        services.open_proposal(db.session, project, alice, "license", "Close it", "",
                               {"license": "CC-BY-NC-4.0"}, scene.settings(), scene.clock())
    proposal = services.open_proposal(db.session, project, alice, "license", "Copyleft", "",
                                      {"license": "GPL-3.0-or-later"}, scene.settings(),
                                      scene.clock())
    # Everyone with commits in the repository is affected (bob among them).
    assert "bob" in {p.user.username for p in proposal.affected if p.user}
    db.session.commit()
    scene.clock.advance(hours=72)
    [decided] = scene.tick()
    assert decided.status == "passed"
    assert db.session.get(Project, project.id).license == "GPL-3.0-or-later"
    licence = git("show", "main:LICENSE", cwd=scene.repo)
    assert "GNU GENERAL PUBLIC LICENSE" in licence
    assert "Decided-by: http://commons.test/projects/dryer/proposals/1" in \
        git("log", "-1", "--format=%B", "main", cwd=scene.repo)


def test_policy_change_applies_and_refuses_a_window_under_the_minimum(dryer):
    scene, project, alice, bob, carol, head = dryer
    with pytest.raises(Invalid, match="at least 86400 seconds"):
        services.open_proposal(db.session, project, alice, "policy", "Hurry", "",
                               {"review_window": 3600}, scene.settings(), scene.clock())
    services.open_proposal(db.session, project, alice, "policy", "Commit then review", "",
                           {"push": "direct", "review_window": 172800}, scene.settings(),
                           scene.clock())
    db.session.commit()
    scene.clock.advance(hours=72)
    scene.tick()
    project = db.session.get(Project, project.id)
    assert (project.push_policy, project.review_window) == ("direct", 172800)


def test_a_blocked_proposal_can_be_put_to_a_majority_vote(dryer):
    scene, project, alice, bob, carol, head = dryer
    dave, erin = scene.person("dave"), scene.person("erin")
    for person in (dave, erin):
        scene.join(project, person)
    proposal = services.open_proposal(db.session, project, alice, "decision", "Paint it green",
                                      "", {}, scene.settings(), scene.clock())
    services.take_stance(db.session, proposal, carol, "object", "Red", scene.clock())
    db.session.commit()
    scene.clock.advance(hours=72)
    scene.tick()
    services.escalate(db.session, proposal, db.session.get(Project, project.id), alice,
                      scene.settings(), scene.clock())
    for person in (alice, dave, erin):
        services.take_stance(db.session, proposal, person, "support", "", scene.clock())
    services.take_stance(db.session, proposal, carol, "object", "Still red", scene.clock())
    db.session.commit()
    scene.clock.advance(hours=72)
    [decided] = scene.tick()
    assert decided.status == "passed" and decided.voting == "majority"


def test_nothing_changes_a_proposal_once_its_window_has_closed_or_it_is_decided(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "merge", "Better frame", "",
                                      {"branch": "better-frame"}, scene.settings(), scene.clock())
    services.take_stance(db.session, proposal, carol, "object", "Not yet", scene.clock())
    db.session.commit()
    scene.clock.advance(hours=72)  # closed, not yet decided
    with pytest.raises(Conflict):
        services.take_stance(db.session, proposal, carol, "support", "", scene.clock())
    with pytest.raises(Conflict):
        services.withdraw_stance(db.session, proposal, carol, scene.clock())
    [decided] = scene.tick()
    assert decided.status == "blocked"  # the objection stood
    proposal = db.session.get(Proposal, proposal.id)
    services.withdraw_proposal(db.session, proposal, alice, scene.clock())
    db.session.commit()
    for change in (lambda: services.withdraw_proposal(db.session, proposal, alice, scene.clock()),
                   lambda: services.revise(db.session, proposal, project, alice, scene.settings(),
                                           "edit", scene.clock(), title="Again")):
        with pytest.raises(Conflict):
            change()
    moved = scene.commit("frame.txt", "one\nzwei\nthree\n", "Again", "alice", "better-frame")
    assert services.revise_merges_for_push(db.session, project, {"refs/heads/better-frame": moved},
                                           scene.settings(), scene.clock()) == []


def test_a_stance_on_a_revision_no_longer_current_is_refused(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "decision", "Green", "", {},
                                      scene.settings(), scene.clock())
    services.revise(db.session, proposal, project, alice, scene.settings(), "edit",
                    scene.clock(), body="Greener")
    db.session.commit()
    with pytest.raises(Conflict, match="revised since you read it"):
        services.take_stance(db.session, proposal, carol, "support", "", scene.clock(), revision=1)
    services.take_stance(db.session, proposal, carol, "support", "", scene.clock(), revision=2)


def test_blame_finds_authors_of_oddly_named_files_and_follows_revisions(dryer):
    scene, project, alice, bob, carol, head = dryer
    dave = scene.person("dave")
    git("checkout", "-q", "main", cwd=scene.work)
    scene.commit("wheel size.txt", "26 inch\n", "Wheels", "bob", "main")
    scene.commit("räder.txt", "drei\n", "Räder", "dave", "main")
    git("checkout", "-q", "better-frame", cwd=scene.work)
    git("merge", "-q", "main", "-m", "Catch up", cwd=scene.work,
        env={"GIT_AUTHOR_NAME": "alice", "GIT_AUTHOR_EMAIL": "alice@example.org"})
    moved = scene.commit("wheel size.txt", "28 inch\n", "Bigger wheels", "alice", "better-frame")
    proposal = services.open_proposal(db.session, project, alice, "merge", "Wheels", "",
                                      {"branch": "better-frame"}, scene.settings(), scene.clock())
    db.session.commit()
    assert {p.user.username for p in proposal.affected if p.user} == {"bob"}
    assert proposal.details["head"] == moved
    # The branch now also rewrites dave's file: he gains standing on revision 2.
    again = scene.commit("räder.txt", "vier\n", "Vier", "alice", "better-frame")
    [revised] = services.revise_merges_for_push(db.session, project,
                                                {"refs/heads/better-frame": again},
                                                scene.settings(), scene.clock())
    db.session.commit()
    assert {p.user.username for p in revised.affected if p.user} == {"bob", "dave"}
    services.take_stance(db.session, revised, dave, "object", "drei is right", scene.clock())


def test_no_one_is_admitted_without_asking_and_a_withdrawn_request_can_be_made_again(scene):
    alice, bob = scene.person("alice"), scene.person("bob")
    project = scene.project(alice, admission="consent")
    with pytest.raises(Forbidden, match="no one is admitted without asking"):
        services.open_proposal(db.session, project, alice, "membership", "Admit bob", "",
                               {"username": "bob"}, scene.settings(), scene.clock())
    from commons.projects import services as projects
    projects.join_project(db.session, project, bob, now=app_clock.now())
    proposal = services.request_membership(db.session, project, bob, scene.settings(),
                                           scene.clock())
    db.session.commit()
    services.withdraw_proposal(db.session, proposal, bob, scene.clock())
    db.session.commit()
    projects.join_project(db.session, project, bob, now=app_clock.now())  # not "already waiting"
    services.request_membership(db.session, project, bob, scene.settings(), scene.clock())
    db.session.commit()


def test_deleting_a_proposed_branch_withdraws_its_proposal(dryer):
    scene, project, alice, bob, carol, head = dryer
    proposal = services.open_proposal(db.session, project, alice, "merge", "Better frame", "",
                                      {"branch": "better-frame"}, scene.settings(), scene.clock())
    db.session.commit()
    services.revise_merges_for_push(db.session, project, {"refs/heads/better-frame": "0" * 40},
                                    scene.settings(), scene.clock())
    db.session.commit()
    assert db.session.get(Proposal, proposal.id).status == "withdrawn"
    scene.clock.advance(hours=72)
    assert scene.tick() == []
