"""How the domains react to one another: receivers connected once however
many apps are made, and an after-commit receiver that fails stops neither
the others nor the push it follows."""

import logging
import subprocess

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons import create_app, signals
from commons.accounts.services import register_user
from commons.extensions import db
from commons.git import pushes
from commons.git.models import Commit, Push
from commons.git.pktline import RefUpdate
from commons.projects import services as projects
from commons.projects.models import Project

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
       "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org"}
EVERY_SIGNAL = [signals.refs_moved, signals.commits_indexed, signals.input_pending,
                signals.input_supplied, signals.input_changed, signals.input_closed,
                signals.entry_appended]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_every_app_made_leaves_one_connection_per_receiver(app, database_uri, tmp_path):
    before = {signal.name: list(signal.receivers) for signal in EVERY_SIGNAL}
    assert all(before.values()), "every signal has a receiver"
    create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_uri,
                "REPOS_DIR": str(tmp_path / "more-repos"), "QUEUE_URL": "immediate"})
    assert {signal.name: list(signal.receivers) for signal in EVERY_SIGNAL} == before


@pytest.fixture
def dryer(app):
    with app.app_context():
        user = register_user(db.session, "ada", "ada@example.org", "x" * 12, now=app_clock.now(),
                             confirmed_at=app_clock.now())
        project = projects.create_project(db.session, user, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
            now=app_clock.now())
        db.session.commit()
        return project.id


def test_a_failing_reaction_to_a_push_is_logged_and_the_others_still_run(
        app, dryer, repos_dir, tmp_path, caplog):
    repo = repos_dir / "dryer.git"
    work = tmp_path / "work"
    git("clone", "-q", str(repo), str(work), cwd=tmp_path)
    git("commit", "-q", "--allow-empty", "-m", "Frame", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work)
    git("push", "-q", "origin", "HEAD:refs/heads/frame", cwd=work)
    heard = []

    def broken(project, **data):
        raise RuntimeError("a reaction broke")

    def listening(project, **data):
        heard.append(data["moved"])

    signals.refs_moved.connect(broken, weak=False)
    signals.refs_moved.connect(listening, weak=False)
    try:
        with app.app_context(), caplog.at_level(logging.ERROR):
            push = pushes.record_push(db.session, db.session.get(Project, dryer), None,
                                      [RefUpdate("0" * 40, head, "refs/heads/frame")], repo,
                                      now=app_clock.now())
            assert push.indexed_at is not None
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 1
            assert db.session.scalar(sa.select(Commit.sha).where(
                Commit.project_id == dryer, Commit.sha == head)) == head
    finally:
        signals.refs_moved.disconnect(broken)
        signals.refs_moved.disconnect(listening)
    assert heard == [{"refs/heads/frame": head}]
    [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "refs-moved" in failure.getMessage()
    assert "test_signals" in failure.getMessage() and "broken" in failure.getMessage()
    assert failure.exc_info is not None
