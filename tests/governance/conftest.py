"""A project with a real repository, members, and a clock the tests move."""

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services
from commons.projects import services as projects

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
       "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@example.org"}


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Scene:
    """People, a project "dryer" and a working clone to push branches from."""

    def __init__(self, app, tmp_path: Path, clock: Clock):
        self.app, self.clock = app, clock
        self.repo = Path(app.config["REPOS_DIR"]) / "dryer.git"
        self.work = tmp_path / "work"

    def person(self, name: str):
        user = accounts.register_user(db.session, name, f"{name}@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def project(self, founder, **policy):
        project = projects.create_project(db.session, founder, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT", **policy),
            projects.Settings.from_config(self.app.config), now=self.clock())
        db.session.commit()
        git("clone", "-q", str(self.repo), str(self.work), cwd=self.repo.parent)
        return project

    def join(self, project, user):
        projects.join_project(db.session, project, user, now=app_clock.now())
        db.session.commit()

    def commit(self, name: str, content: str, message: str, author: str, branch: str):
        git("checkout", "-q", "-B", branch, cwd=self.work) if branch != self.current() else None
        (self.work / name).write_text(content)
        git("add", name, cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work,
            env={"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author}@example.org"})
        git("push", "-q", "--force", "origin", f"{branch}:refs/heads/{branch}", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()

    def current(self) -> str:
        return git("rev-parse", "--abbrev-ref", "HEAD", cwd=self.work).strip()

    def settings(self):
        return services.Settings.from_config(self.app.config)

    def tick(self):
        return services.decide_due(db.session, self.settings(), self.clock())


def git(*args, cwd, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scene(make_app, tmp_path, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Scene(app, tmp_path, clock)
