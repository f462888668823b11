"""A workshop project "shed" with three members (ada founded it, bo and cy
joined), an outsider (oz), and a clock the tests move."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.ledger import services as ledger
from commons.ledger.models import LedgerEntry
from commons.projects import services as projects
from commons.rotas import services
from tests.clock import Clock

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # a Monday


class Scene:
    def __init__(self, app, clock: Clock):
        self.app, self.clock = app, clock
        clock.advance(days=-200)  # everyone joined long ago: earlier work can be logged
        self.ada, self.bo, self.cy = self.person("ada"), self.person("bo"), self.person("cy")
        self.oz = self.person("oz")
        self.project = projects.create_project(db.session, self.ada, projects.NewProject(
            name="Shed", slug="shed", license="MIT"),
            projects.Settings.from_config(app.config), now=clock())
        db.session.commit()
        for user in (self.bo, self.cy):
            projects.join_project(db.session, self.project, user, now=clock())
            db.session.commit()
        clock.advance(days=200)

    def person(self, name: str):
        user = accounts.register_user(db.session, name, f"{name}@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def rota(self, title="Clean the workshop", by=None, **fields):
        rota = services.create_rota(db.session, self.project, by or self.ada,
                                    services.RotaFields(title=title, **{
                                        "category": "care", "every_days": 7, "hours": "2",
                                        **fields}), now=self.clock())
        db.session.commit()
        return rota

    def opt_in(self, rota, *people):
        for person in people:
            services.opt_in(db.session, self.project, rota, person, now=self.clock())
            db.session.commit()

    def work(self, person, hours, category="care", days_ago=1):
        day = (self.clock() - timedelta(days=days_ago)).date().isoformat()
        ledger.log_work(db.session, self.project, person, hours, category, "Sweeping", day,
                        now=self.clock(), max_days_back=400)
        db.session.commit()

    def holders(self, rota) -> list[str | None]:
        upcoming, _past = services.turn_views(db.session, rota, self.clock().date())
        return [view.holder for view in upcoming]

    def head(self) -> int | None:
        return db.session.scalar(sa.select(sa.func.max(LedgerEntry.seq)).where(
            LedgerEntry.project_id == self.project.id))


class FreshClient(FlaskClient):
    """Each request in an app context of its own, as in production: the
    scene keeps one open for the tests' own reads, and a request would
    otherwise share its ``g`` (and so one person's CSRF token) with the
    next."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def scene(make_app, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Scene(app, clock)
