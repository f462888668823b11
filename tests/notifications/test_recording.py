"""Who is told of what, and by which channel: recorded in the transaction
of what happened, once per person and event."""

import sqlalchemy as sa

from commons.extensions import db
from commons.governance import services
from commons.ledger import services as ledger
from commons.ledger.needs import NeedForm
from commons.notifications import notify_many
from commons.notifications import services as notifications
from commons.notifications.models import Notification


def members(scene, *names):
    founder = scene.person(names[0])
    project = scene.project(founder)
    people = [founder]
    for name in names[1:]:
        person = scene.person(name)
        scene.join(project, person)
        people.append(person)
    return project, people


def open_decision(scene, project, author, title="Paint it green"):
    proposal = services.open_proposal(db.session, project, author, "decision", title, "", {},
                                      scene.settings(), scene.clock())
    db.session.commit()
    return proposal


def test_a_proposal_that_changes_your_lines_tells_you_at_once_and_members_in_the_digest(scene):
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    scene.commit("frame.txt", "pine\n", "Pine frame", "bob", "main")
    scene.commit("frame.txt", "bamboo\n", "Bamboo frame", "alice", "bamboo")
    proposal = services.open_proposal(db.session, project, alice, "merge", "Bamboo", "",
                                      {"branch": "bamboo"}, scene.settings(), scene.clock())
    db.session.commit()
    assert [p.user_id for p in proposal.affected] == [bob.id]
    assert scene.channels("proposal_opened") == {"bob": "mail", "carol": "digest"}
    [notice] = scene.of(bob)
    assert notice.text == "alice opened #1 Bamboo in Dryer"
    assert notice.url == "/projects/dryer/proposals/1"


def test_none_mode_and_ignore_leave_the_inbox_alone_and_watch_mails(scene):
    project, (alice, bob, carol, dave) = members(scene, "alice", "bob", "carol", "dave")
    notifications.set_mode(db.session, bob, "none")
    notifications.set_level(db.session, carol, project, "ignore")
    notifications.set_level(db.session, dave, project, "watch")
    db.session.commit()
    open_decision(scene, project, alice)
    assert scene.channels("proposal_opened") == {"bob": "inbox", "carol": "inbox",
                                                 "dave": "mail"}
    assert all(n.delivered_at == scene.clock() for n in scene.of(bob) + scene.of(carol))
    assert scene.of(alice) == []  # its author is not told of their own proposal


def test_recording_twice_records_nothing_twice(scene):
    project, (alice, bob) = members(scene, "alice", "bob")
    proposal = open_decision(scene, project, alice)
    again = notify_many(db.session, project, [alice.id, bob.id], "proposal_opened",
                        proposal=proposal, text="again", url="/x", now=scene.clock(),
                        key=f"proposal_opened:{proposal.id}")
    db.session.commit()
    assert again == 1  # alice's is new; bob has his
    assert [n.text for n in scene.of(bob)] == ["alice opened #1 Paint it green in Dryer"]


def test_a_notice_rolls_back_with_what_it_tells_of(scene):
    project, (alice, bob) = members(scene, "alice", "bob")
    services.open_proposal(db.session, project, alice, "decision", "Green", "", {},
                           scene.settings(), scene.clock())
    db.session.rollback()
    assert scene.of(bob) == []


def test_an_objection_tells_the_author(scene):
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    proposal = open_decision(scene, project, alice)
    services.take_stance(db.session, proposal, carol, "support", "", scene.clock())
    services.take_stance(db.session, proposal, bob, "object", "Green fades\nin the sun.",
                         scene.clock())
    db.session.commit()
    [objection] = scene.of(alice, "objection")
    assert objection.text == "bob objects to #1 Paint it green: Green fades in the sun."
    assert objection.channel == "mail"  # about alice's own proposal: at once
    assert scene.of(carol, "objection") == []


def test_a_mention_tells_who_it_names_and_nobody_else(scene):
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    dave = scene.person("dave")  # not a member: mentioned all the same
    proposal = open_decision(scene, project, alice)
    comment = services.add_comment(db.session, proposal, bob,
                                   "@carol and @Dave, see this; @nobody and "
                                   "bob@example.org are no one, @bob is me.", scene.clock())
    db.session.commit()
    assert scene.channels("mention") == {"carol": "mail", "dave": "mail"}
    [notice] = scene.of(dave)
    assert notice.url == f"/projects/dryer/proposals/1#comment-{comment.id}"
    assert notice.text == "bob mentioned you on #1 Paint it green"


def test_a_proposal_closing_within_a_day_reminds_once_who_has_no_stance(scene):
    from commons.notifications import reminders
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    proposal = open_decision(scene, project, alice)
    services.take_stance(db.session, proposal, carol, "support", "", scene.clock())
    db.session.commit()
    assert reminders.remind_closing(db.session, scene.clock()) == 0  # 72 h left
    scene.clock.advance(hours=49)
    assert reminders.remind_closing(db.session, scene.clock()) == 2
    scene.clock.advance(minutes=15)
    assert reminders.remind_closing(db.session, scene.clock()) == 0
    db.session.commit()
    assert sorted(scene.channels("closing")) == ["alice", "bob"]
    [notice] = scene.of(bob, "closing")
    assert "(23 h 0 min left) without your stance" in notice.text


def test_a_decision_tells_everyone_who_had_standing(scene):
    project, (alice, bob) = members(scene, "alice", "bob")
    open_decision(scene, project, alice)
    scene.clock.advance(hours=73)
    scene.tick()
    [decided] = scene.of(bob, "decided")
    assert decided.text == "#1 Paint it green passed: Decided."
    assert decided.channel == "digest"
    assert len(scene.of(alice, "decided")) == 1


def test_a_closed_or_corrected_input_tells_its_pledgers(scene):
    project, (alice, bob) = members(scene, "alice", "bob")
    need = ledger.record_need(db.session, project, alice, _need(), scene.clock())
    ledger.pledge(db.session, project, bob, need.number, "2", now=scene.clock())
    ledger.close_input(db.session, project, alice, need.number, "Found some", scene.clock())
    db.session.commit()
    [closed] = scene.of(bob, "pledge")
    assert closed.text == "alice closed input #1 Screws, which you pledged to"
    assert closed.url == "/projects/dryer/inputs/1"


def _need():
    return NeedForm(title="Screws", kind="material", quantity="10", unit="piece")


def test_requests_to_join_a_consent_project_tell_its_members(scene):
    alice = scene.person("alice")
    project = scene.project(alice, admission="consent")
    erin = scene.person("erin")
    scene.join(project, erin)
    services.request_membership(db.session, project, erin, scene.settings(), scene.clock())
    db.session.commit()
    [request] = scene.of(alice, "membership")
    assert request.text == "erin asks to join Dryer (#1)"
    assert scene.of(alice, "proposal_opened") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
