"""The signals that tell the rest of the platform who must hear of what:
each is sent once, at its moment, inside the transaction it tells of."""

import pytest

from commons import signals
from commons.extensions import db
from commons.governance import services

TOLD = [signals.proposal_opened, signals.proposal_revised, signals.proposal_decided,
        signals.stance_taken, signals.comment_added, signals.membership_requested,
        signals.member_joined]


@pytest.fixture
def heard():
    """(signal name, what it carried) for every governance signal sent."""
    seen: list[tuple[str, dict]] = []

    def listen(signal):
        def receiver(project, **data):
            assert "session" in data and "now" in data
            seen.append((signal.name, {key: value for key, value in data.items()
                                       if key not in ("session", "now")}))
        signal.connect(receiver, weak=False)
        return receiver

    receivers = [(signal, listen(signal)) for signal in TOLD]
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def names(seen):
    return [name for name, _ in seen]


def test_each_moment_of_a_proposal_is_told_once(scene, heard):
    ada, bo, cy = scene.person("ada"), scene.person("bo"), scene.person("cy")
    project = scene.project(ada, admission="consent")
    assert names(heard) == []

    membership, asked = services_join(scene, project, bo)
    assert names(heard) == ["proposal-opened", "membership-requested"]
    assert heard[0][1]["proposal"] is asked and heard[1][1]["user"] is bo
    heard.clear()

    services.take_stance(db.session, asked, ada, "support", "", scene.clock())
    services.add_comment(db.session, asked, cy, "Welcome, @bo", scene.clock())
    db.session.commit()
    assert names(heard) == ["stance-taken", "comment-added"]
    assert heard[0][1]["stance"].user is ada and heard[1][1]["comment"].body == "Welcome, @bo"
    heard.clear()

    decision = services.open_proposal(db.session, project, ada, "decision", "Paint it green",
                                      "", None, scene.settings(), scene.clock())
    services.revise(db.session, decision, project, ada, scene.settings(), "a better colour",
                    scene.clock(), title="Paint it blue")
    db.session.commit()
    assert names(heard) == ["proposal-opened", "proposal-revised"]
    heard.clear()

    scene.clock.advance(days=4)
    scene.tick()  # the membership is carried out, the decision passes quietly
    decided = [data["proposal"].number for name, data in heard if name == "proposal-decided"]
    assert sorted(decided) == [asked.number, decision.number]
    assert ("member-joined", {"user": bo}) in heard
    heard.clear()
    scene.tick()  # nothing is due any more: nothing told twice
    assert heard == []


def test_joining_an_open_project_is_told(scene, heard):
    ada, bo = scene.person("ada"), scene.person("bo")
    project = scene.project(ada)
    heard.clear()  # the founder's membership is part of creating the project
    scene.join(project, bo)
    assert heard == [("member-joined", {"user": bo})]


def services_join(scene, project, user):
    from commons.projects.joining import join_or_ask
    membership, proposal = join_or_ask(db.session, project, user, scene.settings(),
                                       scene.clock())
    db.session.commit()
    return membership, proposal
