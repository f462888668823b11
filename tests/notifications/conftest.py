"""People in a project "dryer" with a real repository, a clock the tests
move, and a way to read what each person was told."""

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.notifications.models import Notification
from tests.governance.conftest import Clock, Scene


class Notices(Scene):
    """A governance scene that also reads the notifications table."""

    def of(self, user, event: str | None = None) -> list[Notification]:
        statement = sa.select(Notification).where(Notification.user_id == user.id)
        if event is not None:
            statement = statement.where(Notification.event == event)
        return list(db.session.scalars(statement.order_by(Notification.id)))

    def channels(self, event: str) -> dict[str, str]:
        """username -> channel of each notice of *event*."""
        from commons.accounts.models import User
        return dict(db.session.execute(
            sa.select(User.username, Notification.channel)
            .join(User, User.id == Notification.user_id)
            .where(Notification.event == event)).all())


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scene(make_app, tmp_path, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Notices(app, tmp_path, clock)
