"""Commit indexing against real repositories: odd commits, and records that
run in any order."""

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts.services import register_user
from commons.extensions import db
from commons.git import pushes
from commons.git.indexing import read_commits
from commons.git.models import Commit, PushCommit
from commons.git.pktline import RefUpdate
from commons.projects import services as projects

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
       "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@example.org"}


def git(*args, cwd, input=None, env=None):
    return subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, check=True,
                          capture_output=True, input=input).stdout


def raw_commit(repo: Path, tree: str, parent: str | None, author: bytes, message: bytes) -> str:
    body = b"tree " + tree.encode() + b"\n"
    if parent:
        body += b"parent " + parent.encode() + b"\n"
    body += b"author " + author + b"\ncommitter " + author + b"\n\n" + message
    return git("hash-object", "-t", "commit", "-w", "--stdin", "--literally", cwd=repo,
               input=body).decode().strip()


def test_odd_commits_are_read_without_breaking(tmp_path):
    repo = tmp_path / "odd.git"
    git("init", "-q", "--bare", str(repo), cwd=tmp_path)
    tree = git("mktree", cwd=repo, input=b"").decode().strip()
    first = raw_commit(repo, tree, None, b"Uni\x1fcode <u@example.org> 99999999999999 +0000",
                       b"Far future\n")
    folded = raw_commit(
        repo, tree, first, b"Ada <ada@example.org> 1700000000 +0000",
        b"Work together\n\nCo-authored-by: Bob\n Builder <bob@example.org>\n"
        b"Co-authored-by: Cy <CY@example.org>\n")
    infos = {i.sha: i for i in read_commits(repo, [folded, first])}
    assert infos[first].author_name == "Uni\x1fcode"
    assert infos[first].authored_at.year == 9999
    assert infos[folded].co_authors == [{"name": "Bob Builder", "email": "bob@example.org"},
                                        {"name": "Cy", "email": "cy@example.org"}]


@pytest.fixture
def project(app, tmp_path):
    with app.app_context():
        user = register_user(db.session, "ada", "ada@example.org", "x" * 12, now=app_clock.now(),
                             confirmed_at=app_clock.now())
        project = projects.create_project(db.session, user, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
                now=app_clock.now())
        db.session.commit()
        return project.id


def test_records_that_run_out_of_order_stay_exact(app, project, repos_dir, tmp_path):
    """Push 1 creates branch t at B; push 2 moves t to C; their records run
    in that order only after both landed. Push 2 must list only C's commits."""
    repo = repos_dir / "dryer.git"
    work = tmp_path / "work"
    git("clone", "-q", str(repo), str(work), cwd=tmp_path)
    author = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org"}
    shas = []
    for number in range(6):
        git("commit", "-q", "--allow-empty", "-m", f"c{number}", cwd=work, env=author)
        shas.append(git("rev-parse", "HEAD", cwd=work).decode().strip())
    b, c = shas[2], shas[5]
    git("push", "-q", str(repo), f"{c}:refs/heads/t", cwd=work)  # both pushes have landed
    with app.app_context():
        from commons.projects.models import Project
        first = pushes.record_push(db.session, db.session.get(Project, project), None,
                                   [RefUpdate("0" * 40, b, "refs/heads/t")], repo,
                                       now=app_clock.now())
        second = pushes.record_push(db.session, db.session.get(Project, project), None,
                                    [RefUpdate(b, c, "refs/heads/t")], repo, now=app_clock.now())
        listed = lambda push: set(db.session.scalars(  # noqa: E731
            sa.select(PushCommit.sha).where(PushCommit.push_id == push.id)))
        assert listed(first) == set(shas[:3])
        assert listed(second) == set(shas[3:])
        # A third push of commits already known (a deleted branch pushed
        # again) brings nothing new.
        third = pushes.record_push(db.session, db.session.get(Project, project), None,
                                   [RefUpdate("0" * 40, b, "refs/heads/again")], repo,
                                       now=app_clock.now())
        assert listed(third) == set()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Commit)) == 7
