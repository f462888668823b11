"""Notices by mail, into a real SMTP server: at once for what affects a
person, the rest in one daily digest, nothing for who asked for none or
ignores the project; one-click unsubscribe links that only we can make."""

import pytest
import sqlalchemy as sa

from commons import jobs, signals
from commons.extensions import db
from commons.governance import services
from commons.notifications import services as notifications
from commons.notifications.models import Notification
from tests.mailbox import text_of
from tests.notifications.conftest import Notices
from tests.notifications.test_recording import members, open_decision


@pytest.fixture
def scene(make_app, tmp_path, clock, smtp):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test", **smtp.config)
    with app.app_context():
        yield Notices(app, tmp_path, clock)


def merge_touching_bobs_lines(scene, project, alice):
    scene.commit("frame.txt", "pine\n", "Pine frame", "bob", "main")
    scene.commit("frame.txt", "bamboo\n", "Bamboo frame", "alice", "bamboo")
    proposal = services.open_proposal(db.session, project, alice, "merge", "Bamboo", "",
                                      {"branch": "bamboo"}, scene.settings(), scene.clock())
    db.session.commit()
    return proposal


def digest():
    jobs.enqueue("notifications.digest")


@pytest.fixture
def delivered():
    """(username, event, channel, at) of each notification_delivered sent."""
    heard: list[tuple[str, str, str, object]] = []

    def note(notification, session, channel, at):
        from commons.accounts.models import User
        heard.append((session.get(User, notification.user_id).username, notification.event,
                      channel, at))
    signals.notification_delivered.connect(note)
    yield heard
    signals.notification_delivered.disconnect(note)


def test_an_affected_member_is_mailed_at_once_and_the_others_in_the_digest(scene, smtp,
                                                                           delivered):
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    opened_at = scene.clock()
    proposal = merge_touching_bobs_lines(scene, project, alice)
    [mail] = smtp.wait(1)
    assert delivered == [("bob", "proposal_opened", "mail", opened_at)]
    assert mail["To"] == "bob@example.org"
    assert mail["Subject"] == "[Dryer] alice opened #1 Bamboo in Dryer"
    assert mail["References"] == f"<proposal-{project.id}-1@commons.test>"
    assert "http://commons.test/projects/dryer/proposals/1" in text_of(mail)
    assert mail["List-Unsubscribe"].strip().startswith(
        "<http://commons.test/notifications/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Carol is a member it does not affect: her notice waits for the digest.
    assert smtp.to("carol@example.org") == []
    services.take_stance(db.session, proposal, carol, "object", "Bamboo splits.", scene.clock())
    db.session.commit()
    objection = smtp.wait(2)[1]  # the author hears of it at once, in the same thread
    assert objection["To"] == "alice@example.org"
    assert objection["References"] == mail["References"]
    assert objection["Message-ID"] != mail["Message-ID"]
    scene.clock.advance(hours=12)
    digest()
    smtp.wait(3)
    [carols] = smtp.to("carol@example.org")
    assert carols["Subject"] == "commons: 1 notice since your last digest"
    assert "alice opened #1 Bamboo in Dryer" in text_of(carols)
    assert "http://commons.test/projects/dryer/proposals/1" in text_of(carols)
    digest()  # nothing new: nobody gets a second digest
    assert len(smtp.messages) == 3 and len(smtp.to("bob@example.org")) == 1
    assert delivered[1:] == [("alice", "objection", "mail", opened_at),
                             ("carol", "proposal_opened", "digest", scene.clock())]


def test_none_mode_and_ignore_mail_nothing_but_the_inbox_lists(scene, smtp):
    project, (alice, bob, carol) = members(scene, "alice", "bob", "carol")
    notifications.set_mode(db.session, bob, "none")
    notifications.set_level(db.session, carol, project, "ignore")
    db.session.commit()
    delivered = []

    def note(notification, session, channel, at):
        delivered.append((notification.user_id, channel))
    signals.notification_delivered.connect(note)
    try:
        proposal = merge_touching_bobs_lines(scene, project, alice)
        comment = "@carol what do you think?"
        services.add_comment(db.session, proposal, alice, comment, scene.clock())
        db.session.commit()
        scene.clock.advance(days=1)
        digest()
    finally:
        signals.notification_delivered.disconnect(note)
    assert smtp.messages == []
    assert sorted(delivered) == sorted([(bob.id, "inbox"), (carol.id, "inbox"),
                                        (carol.id, "inbox")])
    assert notifications.unread_count(db.session, bob.id) == 1
    assert notifications.unread_count(db.session, carol.id) == 2


def test_the_unsubscribe_link_turns_that_kind_off_and_forged_ones_are_refused(scene, smtp):
    project, (alice, bob) = members(scene, "alice", "bob")
    merge_touching_bobs_lines(scene, project, alice)
    [mail] = smtp.wait(1)
    url = mail["List-Unsubscribe"].strip().strip("<>")
    path = url.removeprefix("http://commons.test")
    client = scene.app.test_client()
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    refused = client.post(forged, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 400
    assert "not one commons sent" in refused.get_data(as_text=True)
    other = client.post("/notifications/unsubscribe/WzEsICJtZW50aW9uIl0.forged")
    assert other.status_code == 400
    assert notifications.preferences(db.session, bob).muted == frozenset()
    page = client.get(path)  # a link checker opening it changes nothing
    assert page.status_code == 200 and "mails about new proposals" in page.get_data(as_text=True)
    assert notifications.preferences(db.session, bob).muted == frozenset()
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # no CSRF: one click
    assert done.status_code == 200 and "gets no more mails about new proposals" in \
        done.get_data(as_text=True)
    db.session.expire_all()
    assert notifications.preferences(db.session, bob).muted == {"proposal_opened"}
    scene.commit("frame.txt", "oak\n", "Oak frame", "alice", "oak")
    services.open_proposal(db.session, project, alice, "merge", "Oak", "", {"branch": "oak"},
                           scene.settings(), scene.clock())
    db.session.commit()
    assert len(smtp.messages) == 1  # nothing more by mail ...
    assert [n.channel for n in scene.of(bob, "proposal_opened")] == ["mail", "inbox"]


def test_a_mention_is_mailed_at_once(scene, smtp):
    project, (alice, bob) = members(scene, "alice", "bob")
    dave = scene.person("dave")
    proposal = open_decision(scene, project, alice)
    services.add_comment(db.session, proposal, bob, "@dave knows dryers; @ghost does not "
                         "exist.", scene.clock())
    db.session.commit()
    [mail] = smtp.wait(1)
    assert mail["To"] == "dave@example.org"
    assert mail["Subject"] == "[Dryer] bob mentioned you on #1 Paint it green"
    assert "/projects/dryer/proposals/1#comment-" in text_of(mail)
    assert dave.id in {n.user_id for n in db.session.scalars(sa.select(Notification))}


def test_the_closing_reminder_is_mailed_once(scene, smtp):
    project, (alice, bob) = members(scene, "alice", "bob")
    notifications.set_mode(db.session, bob, "immediately")
    db.session.commit()
    open_decision(scene, project, alice)
    smtp.wait(1)  # the proposal itself, at once as bob asked
    scene.clock.advance(hours=50)
    jobs.enqueue("notifications.remind")
    jobs.enqueue("notifications.remind")
    scene.clock.advance(minutes=15)
    jobs.enqueue("notifications.remind")
    reminders = [m for m in smtp.wait(2) if "without your stance" in m["Subject"]]
    assert [m["To"] for m in reminders] == ["bob@example.org"]
    assert "(22 h 0 min left)" in reminders[0]["Subject"]
    assert len(smtp.messages) == 2


def test_a_decision_reaches_who_had_standing(scene, smtp):
    project, (alice, bob) = members(scene, "alice", "bob")
    open_decision(scene, project, alice)
    scene.clock.advance(hours=73)
    scene.tick()
    digest()
    smtp.wait(2)
    for address in ("alice@example.org", "bob@example.org"):
        [mail] = smtp.to(address)
        assert "#1 Paint it green passed: Decided." in text_of(mail)
