"""A project "dryer" with members ada, bo and cy, an outsider dee, and a
clock the tests move; hours are logged through the ledger and confirmed
by setting the column (the confirm action is another part of issue 20)."""

from datetime import UTC, datetime

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services as ledger
from commons.projects import services as projects
from tests.clock import Clock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Team:
    def __init__(self, app, clock: Clock):
        self.app, self.clock = app, clock
        self.ada, self.bo, self.cy, self.dee = (self.person(n) for n in ("ada", "bo", "cy",
                                                                         "dee"))
        self.project = projects.create_project(db.session, self.ada, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"),
            projects.Settings.from_config(app.config), now=clock())
        db.session.commit()
        for user in (self.bo, self.cy):
            projects.join_project(db.session, self.project, user, now=clock())
        db.session.commit()

    def person(self, name: str):
        user = accounts.register_user(db.session, name, f"{name}@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def work(self, who, hours: str, category: str, *, onerous: int | None = None,
             confirmed_by=None, day=None):
        log = ledger.log_work(db.session, self.project, who, hours, category, "work",
                              (day or self.clock().date()).isoformat(), now=self.clock())
        log.onerous = onerous
        if confirmed_by is not None:
            log.confirmed_by_id = confirmed_by.id
            log.confirmed_at = self.clock()
        db.session.commit()
        return log

    def settings(self):
        return governance.Settings.from_config(self.app.config)

    def adopt(self, rule: dict, title: str = "Weigh care work"):
        """Open a policy proposal setting *rule* and let it pass (item 3)."""
        proposal = governance.open_proposal(db.session, self.project, self.ada, "policy", title,
                                            "", {"recognition_rule": rule}, self.settings(),
                                            self.clock())
        db.session.commit()
        self.clock.advance(days=4)
        decided = governance.decide_due(db.session, self.settings(), self.clock())
        db.session.commit()
        return proposal, decided


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def team(make_app, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Team(app, clock)


