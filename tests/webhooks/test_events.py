"""Proposals and membership become webhook events: opened, revised,
decided, someone asking to join and someone joining, each posted signed to
a real receiver with the proposal's number, title, kind, status and URL."""

import json
from datetime import UTC, datetime, timedelta

from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.projects import joining
from commons.projects import services as projects
from commons.webhooks import rules, services
from tests.conftest import worker_decides

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "proposals-and-members-secret"


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def events(receiver, count):
    arrived = receiver.wait(count)
    assert all(receiver.signed(r, SECRET) for r in arrived)
    return [(r.headers["X-Commons-Event"], json.loads(r.body)) for r in arrived]


def test_proposals_and_membership_are_posted(make_app, receiver):
    clock = Clock()
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, CLOCK=clock, BASE_URL="https://commons.test")
    with app.app_context():
        ada = accounts.register_user(db.session, "ada", "ada@example.org", "x" * 12, now=T0)
        bo = accounts.register_user(db.session, "bo", "bo@example.org", "x" * 12, now=T0)
        project = projects.create_project(db.session, ada, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT", admission="consent"),
            projects.Settings.from_config(app.config), now=T0)
        services.create_hook(db.session, project, ada, services.HookFields(
            url=receiver.url, secret=SECRET, events=list(rules.EVENTS)),
            services.Settings.from_config(app.config), T0)
        db.session.commit()
        settings = governance.Settings.from_config(app.config)

        proposal = governance.open_proposal(db.session, project, ada, "decision", "Paint it",
                                            "Green.", None, settings, T0)
        db.session.commit()
        [(event, opened)] = events(receiver, 1)
        assert event == "proposal_opened" and opened["event"] == "proposal_opened"
        assert opened["project"] == "dryer"
        assert {k: opened["data"][k] for k in ("number", "title", "kind", "status", "url")} == {
            "number": proposal.number, "title": "Paint it", "kind": "decision",
            "status": "open", "url": f"https://commons.test/projects/dryer/proposals/{proposal.number}"}

        clock.now = T0 + timedelta(hours=1)
        governance.revise(db.session, proposal, project, ada, settings, "clearer", clock.now,
                          title="Paint it green")
        db.session.commit()
        (event, revised) = events(receiver, 2)[1]
        assert event == "proposal_revised" and revised["data"]["title"] == "Paint it green"
        assert revised["data"]["revision"] == 2

        joining.join_or_ask(db.session, project, bo, settings, clock.now)
        db.session.commit()
        arrived = events(receiver, 4)[2:]
        assert sorted(e for e, _ in arrived) == ["membership", "proposal_opened"]
        [membership] = [body for e, body in arrived if e == "membership"]
        assert membership["data"]["action"] == "requested" and membership["data"]["user"] == "bo"
        assert membership["data"]["proposal"]["kind"] == "membership"

    clock.now = T0 + timedelta(days=30)
    worker_decides(app)
    arrived = events(receiver, 7)[4:]
    decided = sorted((body["data"]["title"], body["data"]["status"])
                     for e, body in arrived if e == "proposal_decided")
    assert decided == [("Admit bo", "passed"), ("Paint it green", "passed")]
    [joined] = [body["data"] for e, body in arrived if e == "membership"]
    assert (joined["action"], joined["user"]) == ("joined", "bo")
