"""The suite hashes passwords cheaply (PASSWORD_HASH_METHOD in the
fixtures); production must not: an app built as `make run` builds it hashes
with scrypt at werkzeug's full cost."""

from datetime import UTC, datetime

import sqlalchemy as sa

from commons import create_app
from commons.accounts import services
from commons.accounts.models import User
from commons.extensions import db
from tests.conftest import CHEAP_HASH_METHOD, TEST_PASSWORD


def test_production_hashes_with_full_cost_scrypt(database_uri, tmp_path, monkeypatch):
    monkeypatch.delenv("COMMONS_PASSWORD_HASH_METHOD", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_uri,
                      "REPOS_DIR": str(tmp_path / "repos"), "QUEUE_URL": "immediate"})
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        try:
            user = services.register_user(db.session, "alice", "alice@example.org",
                                          TEST_PASSWORD, now=datetime.now(UTC))
            # werkzeug's scrypt: n = 2**15, r = 8, p = 1.
            assert user.password_hash.startswith("scrypt:32768:8:1$")
            assert services.authenticate(db.session, "alice", TEST_PASSWORD,
                                         lambda _: None) is user
            # An unknown name is checked against a hash that costs the same.
            assert services.authenticate(db.session, "nobody", TEST_PASSWORD,
                                         lambda _: None) is None
            assert services._dummy_hash().startswith("scrypt:32768:8:1$")
        finally:
            db.session.rollback()
            db.engine.dispose()


def test_outside_an_app_passwords_are_hashed_as_in_production():
    assert services._hash_method() == "scrypt"


def test_the_suite_hashes_cheaply(app):
    with app.app_context():
        user = services.register_user(db.session, "bob", "bob@example.org", TEST_PASSWORD,
                                      now=datetime.now(UTC))
        assert user.password_hash.startswith(CHEAP_HASH_METHOD + "$")
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
