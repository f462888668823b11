import sqlalchemy as sa

from commons.accounts import services
from commons.accounts.models import User
from commons.extensions import db
from tests.conftest import outbox_messages


def test_users_create_with_password_option(app, runner):
    result = runner.invoke(args=["users", "create", "alice", "alice@example.org",
                                 "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    assert "Created alice <alice@example.org>" in result.output
    with app.app_context():
        assert services.authenticate(db.session, "alice", "correct horse battery", lambda account: None)


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "bob", "bob@example.org"],
                           input="another good password\nanother good password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert services.authenticate(db.session, "bob@example.org", "another good password",
                                     lambda account: None)


def test_users_create_refuses_duplicates_and_bad_input(app, runner):
    runner.invoke(args=["users", "create", "alice", "alice@example.org", "--password", "x" * 12])
    duplicate = runner.invoke(args=["users", "create", "alice", "a2@example.org", "--password", "x" * 12])
    assert duplicate.exit_code == 1 and "taken" in duplicate.output
    short = runner.invoke(args=["users", "create", "carol", "c@example.org", "--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_create_vouches_for_the_address_and_mails_nothing(app, runner):
    result = runner.invoke(args=["users", "create", "alice", "alice@example.org",
                                 "--password", "x" * 12])
    assert result.exit_code == 0, result.output
    with app.app_context():
        alice = services.find_user(db.session, "alice")
        assert alice.primary_email == "alice@example.org" and alice.emails[0].confirmed
    assert outbox_messages(app) == []
    # An address another account confirmed is refused, and says so.
    taken = runner.invoke(args=["users", "create", "bob", "ALICE@example.org",
                                "--password", "x" * 12])
    assert taken.exit_code == 1 and "belongs to another account" in taken.output
