"""Notice gates silence, end to end: notices recorded when a proposal
opens, mail to affected people without an account through a real SMTP
server, their stance through the signed link, opt-out, rate limit."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.governance import notices, services
from commons.governance.models import OutsideStance, Proposal, ProposalNotice, TimelineEvent
from commons.jobs import queue_of
from tests.conftest import Browser, csrf_token
from tests.governance.conftest import T0, Scene
from tests.mailbox import link, text_of

WINDOW = timedelta(seconds=259200)  # the default review window, 72 hours


@pytest.fixture
def mailed(make_app, tmp_path, clock, smtp):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test", OUTSIDE_NOTICE_LIMIT=2,
                   **smtp.config)
    with app.app_context():
        yield Scene(app, tmp_path, clock), smtp


@pytest.fixture
def dryer(mailed):
    """alice founds it, opted in to mailing authors without an account; dora
    (no account) wrote main's frame.txt; alice's branch rewrites a line."""
    scene, smtp = mailed
    alice = scene.person("alice")
    project = scene.project(alice)
    project.notify_outside_authors = True
    db.session.commit()
    scene.commit("frame.txt", "one\ntwo\nthree\n", "Frame", "dora", "main")
    scene.commit("frame.txt", "one\n2\nthree\n", "Better frame", "alice", "better-frame")
    return scene, smtp, project, alice


def open_merge(scene, project, alice, branch="better-frame"):
    proposal = services.open_proposal(db.session, project, alice, "merge", f"Merge {branch}", "",
                                      {"branch": branch}, scene.settings(), scene.clock())
    db.session.commit()
    return proposal


def dora_notice(proposal) -> ProposalNotice:
    return db.session.scalar(sa.select(ProposalNotice).where(
        ProposalNotice.proposal_id == proposal.id, ProposalNotice.email == "dora@example.org"))


def timeline(proposal) -> str:
    return "\n".join(db.session.scalars(sa.select(TimelineEvent.text).where(
        TimelineEvent.proposal_id == proposal.id)))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def retry_waiting_mail() -> None:
    """Run now the notice mail jobs the queue holds for a retry."""
    huey = queue_of().huey
    for task in huey.scheduled():
        if task.name.endswith("send_notices"):
            huey.execute(task, timestamp=task.eta)  # as if its retry time had come


def test_a_quiet_proposal_passes_at_its_close_once_everyone_was_mailed(dryer):
    scene, smtp, project, alice = dryer
    proposal = open_merge(scene, project, alice)
    [mail] = smtp.wait(1)
    assert mail["To"] == "dora@example.org"
    assert mail["Subject"] == "[Dryer] Proposal #1: Merge better-frame"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notice-opt-out/" in mail["List-Unsubscribe"]
    assert mail["References"].startswith(f"<proposal-{project.id}-1@")
    assert "It changes lines you wrote." in text_of(mail)
    assert dora_notice(proposal).sent_at == T0
    # alice, the member, was told in the app at once.
    assert {n.name for n in db.session.scalars(sa.select(ProposalNotice).where(
        ProposalNotice.sent_at.is_not(None)))} == {"alice", "dora"}
    scene.clock.advance(seconds=WINDOW.total_seconds())
    [decided] = scene.tick()
    assert decided.status == "passed"


def test_a_quiet_proposal_waits_for_notice_then_a_window_after_it(dryer):
    scene, smtp, project, alice = dryer
    smtp.refuse = 1  # the first delivery fails; the queue retries it later
    proposal = open_merge(scene, project, alice)
    assert dora_notice(proposal).sent_at is None and dora_notice(proposal).mailed_at == T0
    scene.clock.advance(seconds=WINDOW.total_seconds())
    assert scene.tick() == []  # silence from someone never told is not assent
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.status == "open"
    assert proposal.closes_at == T0 + 2 * WINDOW
    assert "waiting for notice to 1 person" in timeline(proposal)
    page = scene.app.test_client().get("/projects/dryer/proposals/1").get_data(as_text=True)
    assert "Waiting for notice to 1 person" in page
    assert "notice pending" in page
    assert scene.tick() == []  # moved once: a second decider changes nothing
    assert timeline(proposal).count("waiting for notice") == 1

    scene.clock.advance(hours=8)  # the retry gets through
    retry_waiting_mail()
    smtp.wait(1)
    assert dora_notice(proposal).sent_at == T0 + WINDOW + timedelta(hours=8)
    scene.clock.now = T0 + 2 * WINDOW
    assert scene.tick() == []  # the window since dora's notice runs 8 hours more
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).closes_at == T0 + 2 * WINDOW + timedelta(hours=8)
    assert "the last notice went out late" in timeline(proposal)
    scene.clock.advance(hours=8)
    [decided] = scene.tick()
    assert decided.status == "passed"


def test_an_author_without_an_account_objects_from_the_mail_and_blocks_it(dryer):
    scene, smtp, project, alice = dryer
    open_merge(scene, project, alice)
    [mail] = smtp.wait(1)
    stance_page = path_of(link(mail, "/notice/"))
    person = Browser(scene.app.test_client())
    page = person.client.get(stance_page)
    assert page.status_code == 200
    assert "Your stance, dora" in page.get_data(as_text=True)
    answer = person.submit(stance_page, {"stance": "object", "reason": "", "revision": "1"})
    assert answer.status_code == 422  # an objection needs a reason
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutsideStance)) == 0
    answer = person.submit(stance_page, {"stance": "object", "revision": "1",
                                         "reason": "2 is not a word <b>here</b>"})
    assert answer.status_code == 302
    shown = scene.app.test_client().get("/projects/dryer/proposals/1").get_data(as_text=True)
    assert "<strong>dora</strong> <span class=\"meta\">(no account)</span> objects" in shown
    assert "&lt;b&gt;here&lt;/b&gt;" in shown and "<b>here</b>" not in shown
    assert "Stances: 0 support, 0 abstain, 1 object" in shown
    api = scene.app.test_client().get("/api/v1/projects/dryer/proposals/1").get_json()
    assert api["tally"]["object"] == 1
    assert {"username": None, "name": "dora", "account": False, "stance": "object"}.items() \
        <= api["stances"][0].items()
    assert {(n["name"], n["account"], n["stance"]) for n in api["notices"]} == {
        ("alice", True, None), ("dora", False, "object")}
    assert api["waiting_for_notice"] == 0
    scene.clock.advance(seconds=WINDOW.total_seconds())
    [decided] = scene.tick()
    assert decided.status == "blocked"
    # After the close the page says so and offers no form.
    late = person.client.get(stance_page).get_data(as_text=True)
    assert "This proposal is closed (blocked): stances are no longer taken." in late
    assert db.session.scalar(sa.select(OutsideStance.stance)) == "object"


def test_a_stance_sent_after_the_close_is_refused_with_a_message(dryer):
    scene, smtp, project, alice = dryer
    open_merge(scene, project, alice)
    [mail] = smtp.wait(1)
    stance_page = path_of(link(mail, "/notice/"))
    person = Browser(scene.app.test_client())
    html = person.client.get(stance_page).get_data(as_text=True)
    scene.clock.advance(seconds=WINDOW.total_seconds())  # closed, not yet decided
    answer = person.client.post(stance_page, data={"csrf_token": csrf_token(html),
                                                   "stance": "support", "revision": "1"})
    assert answer.status_code == 409
    assert "stances were taken while it was open, so yours was not recorded" in \
        answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutsideStance)) == 0


def test_forged_foreign_and_expired_links_change_nothing(dryer):
    scene, smtp, project, alice = dryer
    open_merge(scene, project, alice)
    scene.commit("frame.txt", "1\ntwo\nthree\n", "Other frame", "alice", "other-frame")
    open_merge(scene, project, alice, "other-frame")
    first, second = smtp.wait(2)
    stance_page = path_of(link(first, "/notice/"))
    opt_out_page = path_of(link(first, "/notice-opt-out/"))
    person = Browser(scene.app.test_client())
    client = person.client
    token = stance_page.rsplit("/", 1)[1]
    forged = stance_page[:-3] + ("AAA" if not stance_page.endswith("AAA") else "BBB")
    answer = client.get(forged)
    assert answer.status_code == 400
    assert "not one we sent" in answer.get_data(as_text=True)
    # A genuine link, moved to another proposal.
    other = path_of(link(second, "/notice/")).rsplit("/", 1)[1]
    answer = client.get(stance_page.replace(token, other))
    assert answer.status_code == 400 and "another proposal" in answer.get_data(as_text=True)
    # An opt-out link is no stance link, and the reverse.
    opt_token = opt_out_page.rsplit("/", 1)[1]
    assert client.get(stance_page.replace(token, opt_token)).status_code == 400
    assert client.post(opt_out_page.replace(opt_token, token)).status_code == 400
    assert client.post(opt_out_page.replace("/dryer/", "/nowhere/")).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutsideStance)) == 0
    # Expired: long after the close (the proposal passed meanwhile).
    scene.clock.advance(seconds=WINDOW.total_seconds())
    scene.tick()
    scene.clock.advance(days=8)
    answer = client.get(stance_page)
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)


def test_opting_out_is_remembered_for_that_project(dryer):
    scene, smtp, project, alice = dryer
    open_merge(scene, project, alice)
    [mail] = smtp.wait(1)
    one_click = path_of(str(mail["List-Unsubscribe"]).strip().strip("<>"))
    client = scene.app.test_client()
    assert "Send no more mail" in client.get(one_click).get_data(as_text=True)
    # What a mail client sends (RFC 8058): a POST, no CSRF token.
    answer = client.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert "gets no more notice" in answer.get_data(as_text=True)
    assert client.post(one_click).status_code == 200  # twice: the same
    scene.commit("frame.txt", "1\ntwo\nthree\n", "Other frame", "alice", "other-frame")
    second = open_merge(scene, project, alice, "other-frame")
    assert len(smtp.messages) == 1
    assert dora_notice(second).undeliverable == notices.OPTED_OUT
    page = client.get("/projects/dryer/proposals/2").get_data(as_text=True)
    assert "not reached: asked for no mail from this project" in page
    # Unreachable, so silence counts at the close as before.
    scene.clock.advance(seconds=WINDOW.total_seconds())
    assert {d.status for d in scene.tick()} == {"passed"}


def test_notice_mails_are_rate_limited_per_address(dryer):
    scene, smtp, project, alice = dryer
    for n, branch in enumerate(["a", "b", "c"]):
        scene.commit("frame.txt", f"one{n}\ntwo\nthree\n", branch, "alice", branch)
        open_merge(scene, project, alice, branch)
    smtp.wait(2)
    third = db.session.scalar(sa.select(Proposal).where(Proposal.number == 3))
    assert len(smtp.to("dora@example.org")) == 2
    assert dora_notice(third).undeliverable.startswith("rate-limited: 2 notice mails")
    scene.clock.advance(days=1, seconds=1)
    scene.commit("frame.txt", "one3\ntwo\nthree\n", "d", "alice", "d")
    open_merge(scene, project, alice, "d")
    smtp.wait(3)  # a day later, mail again


def test_without_opting_in_nobody_is_mailed_but_a_licence_change_always_mails(dryer):
    scene, smtp, project, alice = dryer
    project.notify_outside_authors = False
    db.session.commit()
    merge = open_merge(scene, project, alice)
    assert dora_notice(merge).undeliverable == notices.NOT_OPTED_IN
    licence = services.open_proposal(db.session, project, alice, "license", "Relicense", "",
                                     {"license": "Apache-2.0"}, scene.settings(), scene.clock())
    db.session.commit()
    [mail] = smtp.wait(1)
    assert mail["To"] == "dora@example.org"
    assert "change the project's licence" in text_of(mail)
    assert dora_notice(licence).sent_at == T0


def test_notify_outside_authors_is_changed_by_a_policy_proposal(dryer):
    scene, smtp, project, alice = dryer
    services.open_proposal(db.session, project, alice, "policy", "Quieter", "",
                           {"notify_outside_authors": False}, scene.settings(), scene.clock())
    db.session.commit()
    scene.clock.advance(seconds=WINDOW.total_seconds())
    [decided] = scene.tick()
    assert decided.status == "passed"
    db.session.expire_all()
    assert db.session.get(type(project), project.id).notify_outside_authors is False
    api = scene.app.test_client().get("/api/v1/projects/dryer").get_json()
    assert api["policy"]["notify_outside_authors"] is False


def test_who_gains_standing_later_is_recorded_as_told(dryer):
    scene, smtp, project, alice = dryer
    proposal = open_merge(scene, project, alice)
    erin = scene.person("erin")
    scene.clock.advance(hours=1)
    scene.join(project, erin)
    told = db.session.scalar(sa.select(ProposalNotice).where(
        ProposalNotice.proposal_id == proposal.id, ProposalNotice.user_id == erin.id))
    assert told is not None and told.sent_at == T0 + timedelta(hours=1)
    # A late notice moves the close: erin has a whole window to object.
    scene.clock.now = T0 + WINDOW
    assert scene.tick() == []
    scene.clock.advance(hours=1)
    [decided] = scene.tick()
    assert decided.status == "passed"
