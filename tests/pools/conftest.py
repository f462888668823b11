"""A makerspace pool scene: people, projects that need workshop hours, a
steward, and a clock the tests move. Projects' approval threshold is 100
EUR; the workshop's hours are priced at 10 EUR, so a request of more than
10 hours needs approved inputs."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.ledger import services as ledger
from commons.pools import services
from commons.projects import services as projects
from commons.projects.rules import Threshold

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = 86400


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Scene:
    def __init__(self, app, clock: Clock):
        self.app, self.clock = app, clock
        self.steward = self.person("maker")
        self.ada, self.bo, self.cy = self.person("ada"), self.person("bo"), self.person("cy")
        self.outsider = self.person("oz")
        self.dryer = self.project(self.ada, "Dryer", "dryer")
        self.loom = self.project(self.bo, "Loom", "loom")
        self.kiln = self.project(self.cy, "Kiln", "kiln")

    def person(self, name: str):
        user = accounts.register_user(db.session, name, f"{name}@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def project(self, founder, name: str, slug: str):
        project = projects.create_project(db.session, founder, projects.NewProject(
            name=name, slug=slug, license="MIT",
            approval_threshold=Threshold(Decimal("100"), "EUR")),
            projects.Settings.from_config(self.app.config), now=self.clock())
        db.session.commit()
        return project

    def need(self, project, by, quantity="100", unit="hour", unit_cost=None, currency=None,
             title="Workshop time", **recurrence):
        need = ledger.record_need(db.session, project, by, ledger.NeedForm(
            title=title, kind="space", quantity=quantity, unit=unit, unit_cost=unit_cost,
            currency=currency, **recurrence), self.clock())
        db.session.commit()
        return need

    def pool(self, available="100", rule="proportional", by=None, **fields):
        pool = services.create_pool(db.session, by or self.steward, services.PoolForm(
            title="Workshop hours, December", kind="resource", unit="hour",
            available=available, period="2026-12", contested_rule=rule, **fields),
            self.clock())
        db.session.commit()
        return pool

    def open_round(self, pool, iterations=3, seconds=3 * DAY, by=None):
        round_ = services.open_round(db.session, by or self.steward, pool, iterations, seconds,
                                     self.clock(), min_review_window=self.min_window())
        db.session.commit()
        return round_

    def request(self, round_, project, by, quantity, inputs, justification="We need it."):
        row = services.file_request(db.session, by, round_, project, quantity, inputs,
                                    justification, self.clock())
        db.session.commit()
        return row

    def min_window(self) -> int:
        return int(self.app.config["MIN_REVIEW_WINDOW"])

    def settings(self):
        return governance.Settings.from_config(self.app.config)

    def close_due(self) -> int:
        return services.close_due_iterations(db.session, self.clock(), self.settings())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scene(make_app, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Scene(app, clock)
