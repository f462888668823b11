"""Standing on a proposal comes from a confirmed address only: claiming the
address of a commit author who has no account takes nothing from them."""

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services
from commons.problems import Forbidden


def open_merge(scene, project, author, branch):
    proposal = services.open_proposal(db.session, project, author, "merge", "Better frame", "",
                                      {"branch": branch}, scene.settings(), scene.clock())
    db.session.commit()
    return proposal


def test_a_claimed_commit_address_gives_no_standing_until_its_owner_confirms(scene):
    alice = scene.person("alice")
    project = scene.project(alice)
    # dan wrote the lines and has no account; mallory claims his address.
    scene.commit("frame.txt", "one\ntwo\nthree\n", "Frame", "dan", "main")
    scene.commit("frame.txt", "one\n2\nthree\n", "Better frame", "alice", "better-frame")
    mallory = scene.person("mallory")
    accounts.add_email(db.session, mallory, "DAN@example.org", now=app_clock.now())
    db.session.commit()

    proposal = open_merge(scene, project, alice, "better-frame")
    [party] = proposal.affected
    assert (party.email, party.user_id) == ("dan@example.org", None)
    with pytest.raises(Forbidden):
        services.take_stance(db.session, proposal, mallory, "object", "mine", scene.clock())
    db.session.rollback()

    # dan registers with it and confirms: the address is his at once, and
    # mallory's claim, still unconfirmed, changes nothing.
    dan = accounts.register_user(db.session, "dan", "dan@example.org", "x" * 12,
                                 now=app_clock.now(), confirmed_at=app_clock.now())
    db.session.commit()
    scene.commit("frame.txt", "one\n2\n3\n", "Even better", "alice", "even-better")
    later = open_merge(scene, project, alice, "even-better")
    assert [(p.email, p.user_id) for p in later.affected] == [("dan@example.org", dan.id)]
    assert services.take_stance(db.session, later, dan, "support", "", scene.clock())
    assert [e.confirmed for e in mallory.emails if e.address == "dan@example.org"] == [False]
