"""A project "dryer" with two members, an outsider, and a clock the tests
move; the project's approval threshold is 100 EUR."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services
from commons.projects import services as projects
from commons.projects.rules import Threshold

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Ledger:
    def __init__(self, app, clock: Clock):
        self.app, self.clock = app, clock
        self.ada = self.person("ada")
        self.bo = self.person("bo")
        self.cy = self.person("cy")  # not a member
        self.project = projects.create_project(db.session, self.ada, projects.NewProject(
            name="Dryer", slug="dryer", license="CERN-OHL-S-2.0",
            approval_threshold=Threshold(Decimal("100"), "EUR")),
            projects.Settings.from_config(app.config), now=clock())
        db.session.commit()
        projects.join_project(db.session, self.project, self.bo, now=clock())
        db.session.commit()

    def person(self, name: str):
        user = accounts.register_user(db.session, name, f"{name}@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def need(self, title="PLA filament", quantity="20", unit="kg", unit_cost="2.50",
             currency="EUR", by=None, kind="material", **extra):
        need = services.record_need(db.session, self.project, by or self.ada, services.NeedForm(
            title=title, kind=kind, quantity=quantity, unit=unit, unit_cost=unit_cost,
            currency=currency, **extra), self.clock())
        db.session.commit()
        return need

    def settings(self):
        return governance.Settings.from_config(self.app.config)

    def tick(self):
        return governance.decide_due(db.session, self.settings(), self.clock())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ledger(make_app, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Ledger(app, clock)
