"""A forge to push to: a live server, people with tokens, projects, and the
real git client with a clean configuration."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.projects import services as projects
from tests.conftest import TEST_PASSWORD


@dataclass
class Person:
    username: str
    token: str
    password: str = TEST_PASSWORD


class Forge:
    def __init__(self, app, base: str, home: Path):
        self.app, self.base, self.home = app, base, home

    def person(self, username: str) -> Person:
        with self.app.app_context():
            user = accounts.register_user(db.session, username, f"{username}@example.org",
                                          TEST_PASSWORD, now=app_clock.now(),
                                          confirmed_at=app_clock.now())
            _, token = accounts.create_token(db.session, user, "git", now=app_clock.now())
            db.session.commit()
        return Person(username, token)

    def project(self, founder: Person, slug: str = "dryer", **policy) -> str:
        with self.app.app_context():
            user = accounts.find_user(db.session, founder.username)
            projects.create_project(db.session, user, projects.NewProject(
                name=slug.title(), slug=slug, license="MIT", **policy),
                projects.Settings.from_config(self.app.config), now=app_clock.now())
            db.session.commit()
        return slug

    def join(self, person: Person, slug: str) -> None:
        with self.app.app_context():
            project = projects.get_project(db.session, slug)
            user = accounts.find_user(db.session, person.username)
            projects.join_project(db.session, project, user, now=app_clock.now())
            db.session.commit()

    def url(self, slug: str, person: Person | None = None, secret: str | None = None) -> str:
        host = self.base.removeprefix("http://")
        if person is None:
            return f"http://{host}/projects/{slug}.git"
        return f"http://{quote(person.username)}:{quote(secret or person.token)}@{host}/projects/{slug}.git"

    def git(self, *args, cwd: Path | None = None, check: bool = True, env: dict | None = None):
        """Run the real git client; returns the CompletedProcess."""
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
            env={"PATH": os.environ["PATH"], "HOME": str(self.home), "GIT_CONFIG_NOSYSTEM": "1",
                 "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Tester",
                 "GIT_AUTHOR_EMAIL": "tester@example.org", "GIT_COMMITTER_NAME": "Tester",
                 "GIT_COMMITTER_EMAIL": "tester@example.org", **(env or {})})
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def commit(self, work: Path, name: str, content: str | bytes, message: str,
               author: Person | None = None, trailer: str = "") -> str:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        self.git("add", name, cwd=work)
        env = {}
        if author is not None:
            env = {"GIT_AUTHOR_NAME": author.username, "GIT_AUTHOR_EMAIL": f"{author.username}@example.org"}
        self.git("commit", "-q", "-m", message + (f"\n\n{trailer}" if trailer else ""), cwd=work, env=env)
        return self.git("rev-parse", "HEAD", cwd=work).stdout.strip()

    def pushes(self, count: int, timeout: float = 20) -> None:
        """Wait until *count* pushes are recorded and indexed: the server
        does that after git has answered the client."""
        import time

        import sqlalchemy as sa

        from commons.git.models import Push
        deadline = time.monotonic() + timeout
        while True:
            with self.app.app_context():
                found = db.session.scalar(sa.select(sa.func.count()).select_from(Push)
                                          .where(Push.indexed_at.is_not(None)))
                db.session.remove()
            if found >= count or time.monotonic() > deadline:
                assert found == count, f"{found} pushes recorded, expected {count}"
                return
            time.sleep(0.05)

    def fsck(self, slug: str) -> None:
        path = Path(self.app.config["REPOS_DIR"]) / f"{slug}.git"
        self.git("-C", str(path), "fsck", "--strict", "--no-progress")

    def server_ref(self, slug: str, ref: str) -> str | None:
        path = Path(self.app.config["REPOS_DIR"]) / f"{slug}.git"
        result = self.git("-C", str(path), "rev-parse", "--verify", "-q", ref, check=False)
        return result.stdout.strip() or None


def founded_by_ada(app, slug: str = "dryer") -> None:
    """Project *slug* (MIT), founded by ada, whose address is confirmed:
    where the browse tests start."""
    with app.app_context():
        user = accounts.register_user(db.session, "ada", "ada@example.org", "x" * 12,
                                      now=app_clock.now(), confirmed_at=app_clock.now())
        projects.create_project(db.session, user, projects.NewProject(
            name=slug.title(), slug=slug, license="MIT"),
            projects.Settings.from_config(app.config), now=app_clock.now())
        db.session.commit()


@pytest.fixture
def forge(app, live_server, tmp_path) -> Forge:
    home = tmp_path / "home"
    home.mkdir()
    return Forge(app, live_server, home)


_TAGGED_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


@pytest.fixture
def tagged_dryer(app, repos_dir) -> Path:
    """Project "dryer" whose main has 130 commits (a minute apart, from
    2030), each but the first with an annotated tag r<n>, and a branch
    old at the first commit."""
    founded_by_ada(app)
    path = repos_dir / "dryer.git"
    stream = []
    for number in range(130):
        message = f"Change {number}"
        stamp = 1_900_000_000 + 60 * number
        stream.append(f"commit refs/heads/main\nmark :{number + 1}\n"
                      f"committer Ada <ada@example.org> {stamp} +0000\n"
                      f"data {len(message)}\n{message}\n"
                      + ("from refs/heads/main^0\n" if number == 0 else "") +
                      f"M 100644 inline n.txt\ndata {len(str(number)) + 1}\n{number}\n\n")
        if number:
            note = f"Release {number}"
            stream.append(f"tag r{number}\nfrom :{number + 1}\n"
                          f"tagger Ada <ada@example.org> {stamp} +0000\n"
                          f"data {len(note)}\n{note}\n")
    stream.append("reset refs/heads/old\nfrom :1\n\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=_TAGGED_ENV, check=True,
                   input="".join(stream), text=True)
    return path
