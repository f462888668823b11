"""`flask --app commons demo`: an empty database becomes a believable demo,
through the real services and a real git; a second run changes nothing."""

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts.models import User
from commons.contributions import services as contributions
from commons.demo import data, loader
from commons.extensions import db
from commons.git.models import Commit
from commons.git.repositories import repository_path
from commons.governance.models import Proposal
from commons.ledger.models import Input, LedgerEntry
from commons.ledger.queries import open_clause
from commons.projects.models import Project
from tests.conftest import csrf_token

SLUGS = ("solar-dryer", "seed-library")


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_fills_an_empty_database(app, demo, runner):
    assert "demo password" in demo.output and "ada" in demo.output
    with app.app_context():
        assert count(User) == len(data.PEOPLE) == 7
        assert count(Project) == 2
        for slug in SLUGS:
            project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
            assert len([m for m in project.memberships if m.status == "member"]) >= 4
            commits = db.session.scalar(sa.select(sa.func.count()).select_from(Commit)
                                        .where(Commit.project_id == project.id))
            assert commits >= 7
        statuses = db.session.execute(sa.select(Project.slug, Proposal.status)
                                      .join(Project, Project.id == Proposal.project_id)).all()
    for slug in SLUGS:
        assert {status for s, status in statuses if s == slug} >= {"open", "passed", "blocked"}
        result = runner.invoke(args=["ledger", "verify", slug])
        assert result.exit_code == 0, result.output
        assert "chain intact" in result.output


def test_both_projects_have_open_needs_and_an_outsider_proposes(app, demo, client, repos_dir):
    with app.app_context():
        for slug in SLUGS:
            project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
            still_needed = db.session.scalar(sa.select(sa.func.count()).select_from(Input).where(
                Input.project_id == project.id, open_clause(app_clock.now().date())))
            assert still_needed >= 2, slug
        outside = db.session.scalars(sa.select(Proposal).where(
            Proposal.kind == "merge", Proposal.status == "open")).all()
        outside = [p for p in outside if p.details.get("source") == "refs/for"]
        assert len(outside) == 1
        proposal = outside[0]
        gus = proposal.author
        assert gus.username == "gus" and not proposal.project.is_member(gus)
        assert proposal.title == "Add a maintenance checklist"
        assert proposal.details["pushed_to"] == "refs/for/main"
        number, head = proposal.number, proposal.details["head"]
    kept = subprocess.run(["git", "-C", str(repos_dir / "solar-dryer.git"), "rev-parse",
                           f"refs/proposals/{number}/head"], check=True, capture_output=True,
                          text=True).stdout.strip()
    assert kept == head
    page = client.get(f"/projects/solar-dryer/proposals/{number}").get_data(as_text=True)
    assert "refs/for/main" in page and "gus" in page
    changes = client.get(f"/projects/solar-dryer/proposals/{number}/changes")
    assert changes.status_code == 200 and b"MAINTENANCE.md" in changes.data
    needs = client.get("/needs").get_data(as_text=True)
    assert "Digital thermometer with probe" in needs and "Raspberry Pi 4" in needs


def test_the_history_is_real_git(app, demo, repos_dir):
    for slug in SLUGS:
        path = repos_dir / f"{slug}.git"
        subprocess.run(["git", "-C", str(path), "fsck", "--strict"], check=True,
                       capture_output=True)
        log = subprocess.run(["git", "-C", str(path), "log", "--all", "--format=%ae%n%B"],
                             check=True, capture_output=True, text=True).stdout
        authors = {line for line in log.splitlines() if line.endswith("@example.org")
                   and " " not in line}
        assert len(authors) >= 4, authors
    solar = repos_dir / "solar-dryer.git"
    log = subprocess.run(["git", "-C", str(solar), "log", "--format=%B", "main"],
                         check=True, capture_output=True, text=True).stdout
    assert "Co-authored-by: Ada Nwosu <ada@example.org>" in log
    assert "Decided-by: http" in log  # the frame was merged by its proposal
    branches = subprocess.run(["git", "-C", str(solar), "branch", "--format=%(refname:short)"],
                              check=True, capture_output=True, text=True).stdout.split()
    assert {"main", "frame", "fan-12v", "tray-mesh"} <= set(branches)


def test_contributor_records_show_several_people(app, demo, repos_dir):
    with app.app_context():
        for slug in SLUGS:
            project = db.session.scalar(sa.select(Project).where(Project.slug == slug))
            records = contributions.project_records(db.session, project,
                                                    repository_path(repos_dir, slug),
                                                        "all", app_clock.now().date())
            people = {r.username: r for r in records if r.username}
            assert sum(1 for r in people.values() if r.git.commits) >= 3
            assert sum(1 for r in people.values() if r.total_hours) >= 3
            assert sum(1 for r in people.values() if r.pledges) >= 2
            assert any(r.kinds for r in people.values())
            assert any(r.stances for r in people.values())
            assert all(r.username for r in records), "every demo commit maps to an account"
        solar = db.session.scalar(sa.select(Project).where(Project.slug == "solar-dryer"))
        records = {r.username: r for r in contributions.project_records(
            db.session, solar, repository_path(repos_dir, "solar-dryer"),
                "all", app_clock.now().date())}
        assert records["ada"].git.co_authored == 1
        assert {"care", "creative"} <= {c for r in records.values() for c in r.hours}
        assert records["bruno"].merges_merged == 1


def test_pages_render(demo, client):
    for slug in SLUGS:
        for page in ("", "/proposals", "/ledger", "/contributors", "/contributors/labour",
                     "/commits/main", "/branches", "/proposals/1", "/proposals/3"):
            response = client.get(f"/projects/{slug}{page}")
            assert response.status_code == 200, (slug, page)
    for person in data.PEOPLE:
        assert client.get(f"/users/{person.username}").status_code == 200
    assert b"Stainless steel mesh" in client.get("/projects/solar-dryer/ledger").data
    assert b"Raspberry Pi 4" in client.get("/needs").data

    # and the people log in with the demo password
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": csrf_token(page), "login": "elif",
                                           "password": data.PASSWORD, "next": ""})
    assert response.status_code == 302
    assert client.get("/inbox").status_code == 200
    assert b"Trays from stainless mesh" in client.get("/projects/solar-dryer/proposals").data


def test_a_second_run_refuses_and_writes_nothing(app, demo, runner, repos_dir):
    with app.app_context():
        before = (count(User), count(Project), count(Proposal), count(LedgerEntry), count(Commit))
    heads = {str(ref): ref.read_text() for ref in repos_dir.glob("*.git/refs/heads/*")}
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "empty database" in result.output and "Nothing was written" in result.output
    with app.app_context():
        after = (count(User), count(Project), count(Proposal), count(LedgerEntry), count(Commit))
    assert after == before
    assert {str(ref): ref.read_text() for ref in repos_dir.glob("*.git/refs/heads/*")} == heads
    assert len(heads) == 6  # main, frame, fan-12v, tray-mesh; main, labels-es


def test_refuses_a_database_with_accounts(app, runner, repos_dir):
    result = runner.invoke(args=["users", "create", "zoe", "zoe@example.org",
                                 "--password", "a long password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "1 accounts" in result.output
    with app.app_context():
        assert count(User) == 1 and count(Project) == 0
    assert not repos_dir.exists() or not any(repos_dir.iterdir())


def test_refuses_when_a_repository_is_left_over(app, runner, repos_dir):
    (repos_dir / "solar-dryer.git").mkdir(parents=True)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "solar-dryer.git" in result.output
    with app.app_context():
        assert count(User) == 0


def test_a_failure_leaves_nothing_behind(app, runner, repos_dir, monkeypatch):
    def broken(self):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(loader.Demo, "seed_library", broken)
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    with app.app_context():
        for table in db.metadata.sorted_tables:
            assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0, \
                table.name
    assert not any(Path(repos_dir).glob("*.git"))
