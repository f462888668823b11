"""A decision that commits (a merge, a licence change) moves the default
branch as a push would, and the same reactions follow."""

import sqlalchemy as sa

from commons.extensions import db
from commons.git.models import Commit
from commons.governance import services
from tests.governance.conftest import git


def indexed(project, sha: str) -> bool:
    return db.session.scalar(sa.select(Commit.sha).where(
        Commit.project_id == project.id, Commit.sha == sha)) is not None


def test_a_decided_merge_and_licence_change_are_indexed_at_once(scene):
    alice = scene.person("alice")
    project = scene.project(alice)
    head = scene.commit("frame.txt", "bamboo\n", "Bamboo frame", "alice", "bamboo")
    services.open_proposal(db.session, project, alice, "merge", "Bamboo", "",
                           {"branch": "bamboo"}, scene.settings(), scene.clock())
    services.open_proposal(db.session, project, alice, "license", "Copyleft", "",
                           {"license": "GPL-3.0-or-later"}, scene.settings(), scene.clock())
    db.session.commit()
    assert not indexed(project, head)  # pushed straight into the repository
    scene.clock.advance(hours=73)
    decided = scene.tick()
    assert [d.status for d in decided] == ["passed", "passed"]
    main = git("rev-parse", "main", cwd=scene.repo).strip()
    merge = git("rev-parse", "main^", cwd=scene.repo).strip()
    assert head in git("log", "--format=%H", "main", cwd=scene.repo).split()
    assert indexed(project, main) and indexed(project, merge) and indexed(project, head)
