"""Who a commit is: a person's email addresses, the repository's .mailmap
on the default branch, and Co-authored-by: trailers, against real
repositories indexed the way a push indexes them."""

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.contributions import services
from commons.contributions.models import GitTotal
from commons.extensions import db
from commons.git import pushes
from commons.git.models import Commit
from commons.git.pktline import RefUpdate
from commons.problems import Conflict
from commons.projects import services as projects
from tests.conftest import confirmation_link

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ZERO = "0" * 40
ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


def git(*args, cwd, env=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**ENV, **(env or {})}, check=True,
                          capture_output=True, text=True).stdout


class Repos:
    """People, projects with real bare repositories, working clones, and
    pushes indexed by ``pushes.record_push`` as the server does after git
    has answered."""

    def __init__(self, app, tmp_path: Path):
        self.app, self.tmp = app, tmp_path
        self.repos_dir = Path(app.config["REPOS_DIR"])

    def person(self, name: str, email: str | None = None):
        user = accounts.register_user(db.session, name, email or f"{name}@example.org",
                                      "x" * 12, now=app_clock.now(),
                                      confirmed_at=app_clock.now())
        db.session.commit()
        return user

    def project(self, founder, slug: str = "dryer", now: datetime = T0):
        project = projects.create_project(db.session, founder, projects.NewProject(
            name=slug.title(), slug=slug, license="MIT"),
            projects.Settings.from_config(self.app.config), now=now)
        db.session.commit()
        return project

    def bare(self, project) -> Path:
        return self.repos_dir / f"{project.slug}.git"

    def clone(self, project, name: str = "work") -> Path:
        work = self.tmp / f"{project.slug}-{name}"
        git("clone", "-q", str(self.bare(project)), str(work), cwd=self.tmp)
        return work

    def commit(self, work: Path, author: str, message: str, files: dict[str, str],
               when: datetime = T0, trailer: str = "", allow_empty: bool = False) -> str:
        """Commit *files* as *author* ("Name <email>") at *when*."""
        name, email = author[:-1].split(" <")
        for path, content in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(content)
            git("add", path, cwd=work)
        stamp = f"{int(when.timestamp())} +0000"
        git("commit", "-q", *(["--allow-empty"] if allow_empty else []),
            "-m", message + (f"\n\n{trailer}" if trailer else ""), cwd=work,
            env={"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
                 "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
                 "GIT_COMMITTER_DATE": stamp})
        return git("rev-parse", "HEAD", cwd=work).strip()

    def push(self, project, work: Path, branch: str = "main", source: str = "HEAD",
             delete: bool = False):
        """Push *source* to *branch* (forced, or deleting it) and index it."""
        bare = self.bare(project)
        ref = f"refs/heads/{branch}"
        old = git("rev-parse", "--verify", "-q", ref, cwd=bare).strip() \
            if git("for-each-ref", ref, cwd=bare).strip() else ZERO
        git("push", "-q", "--force", str(bare), f":{ref}" if delete else f"{source}:{ref}",
            cwd=work)
        new = ZERO if delete else git("rev-parse", ref, cwd=bare).strip()
        return pushes.record_push(db.session, project, None, [RefUpdate(old, new, ref)], bare,
                                  now=app_clock.now())

    def records(self, project, period: str = "all", today: date | None = None) -> dict:
        found = services.project_records(db.session, project, self.bare(project), period,
                                         today or (T0 + timedelta(days=30)).date())
        return {record.username or record.key: record for record in found}


@pytest.fixture
def repos(make_app, tmp_path):
    app = make_app(BASE_URL="http://commons.test")
    with app.app_context():
        yield Repos(app, tmp_path)


@pytest.fixture
def dryer(repos):
    """ada founds "dryer" (its first commit is hers); a clone to work in."""
    ada = repos.person("ada")
    project = repos.project(ada)
    return repos, project, ada, repos.clone(project)


def numstat(work: Path, sha: str) -> tuple[int, int]:
    added = removed = 0
    for line in git("show", "--numstat", "--format=", sha, cwd=work).splitlines():
        a, r, _ = line.split("\t", 2)
        added, removed = added + int(a), removed + int(r)
    return added, removed


def test_commits_by_a_registered_email_are_that_persons(dryer):
    repos, project, ada, work = dryer
    bo = repos.person("bo")
    one = repos.commit(work, "Bo B. <Bo@Example.org>", "Frame", {"frame.txt": "a\nb\nc\n"},
                       T0 + timedelta(days=1))
    two = repos.commit(work, "bo <bo@example.org>", "Trim", {"frame.txt": "a\nc\n"},
                       T0 + timedelta(days=2))
    repos.push(project, work)
    found = repos.records(project)
    assert set(found) == {"ada", "bo"}
    record = found["bo"]
    assert record.name == "bo" and record.masked_email is None
    assert record.git.commits == 2 and record.git.co_authored == 0
    assert (record.git.lines_added, record.git.lines_removed) == tuple(
        map(sum, zip(numstat(work, one), numstat(work, two), strict=True))) == (3, 1)
    assert record.git.first_at == T0 + timedelta(days=1)
    assert record.git.last_at == T0 + timedelta(days=2)
    assert found["ada"].git.commits == 1  # the project's first commit
    assert bo.id  # registered before the push: nothing about order matters


def test_an_unknown_identity_is_shown_masked_until_its_owner_adds_the_email(dryer):
    repos, project, ada, work = dryer
    repos.commit(work, "Bo Builder <Bo@Elsewhere.org>", "Frame", {"frame.txt": "1\n2\n"})
    repos.commit(work, "Bo Builder <bo@elsewhere.org>", "More", {"frame.txt": "1\n2\n3\n"})
    repos.push(project, work)
    found = repos.records(project)
    identity = found["identity:bo@elsewhere.org"]
    assert (identity.name, identity.username, identity.masked_email) == \
        ("Bo Builder", None, "b…@elsewhere.org")
    assert identity.git.commits == 2 and identity.git.lines_added == 3
    bo = repos.person("bo")
    assert "identity:bo@elsewhere.org" in repos.records(project)  # another address
    tallies = db.session.execute(sa.select(GitTotal.email, GitTotal.commits)
                                 .order_by(GitTotal.email)).all()
    commits = db.session.scalar(sa.select(sa.func.count()).select_from(Commit))
    accounts.add_email(db.session, bo, "BO@elsewhere.org", now=app_clock.now())
    db.session.commit()
    # Claimed, not yet confirmed: the commits are not bo's.
    assert "identity:bo@elsewhere.org" in repos.records(project)
    token = confirmation_link(repos.app, "bo@elsewhere.org").rsplit("/", 1)[1]
    accounts.confirm_email(db.session, bo, token, app_clock.now())
    db.session.commit()
    found = repos.records(project)
    assert "identity:bo@elsewhere.org" not in found
    assert found["bo"].git.commits == 2 and found["bo"].git.lines_added == 3
    assert found["bo"].masked_email is None
    # No reindex happened: the kept tallies and commits are as they were.
    assert db.session.execute(sa.select(GitTotal.email, GitTotal.commits)
                              .order_by(GitTotal.email)).all() == tallies
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Commit)) == commits


def test_an_email_already_claimed_takes_no_credit_and_cannot_be_vouched_for(dryer):
    repos, project, ada, work = dryer
    bo = repos.person("bo")
    repos.commit(work, "Ada <ada@example.org>", "Frame", {"frame.txt": "1\n"})
    repos.push(project, work)
    # bo may claim it (ada is mailed, bo is told nothing), but an
    # unconfirmed claim moves no credit.
    accounts.add_email(db.session, bo, "ADA@example.org", now=app_clock.now())
    db.session.commit()
    found = repos.records(project)
    assert found["ada"].git.commits == 2 and "bo" not in found
    # Nobody can vouch for it either: it is ada's.
    with pytest.raises(Conflict, match="(?i)another account"):
        accounts.add_email(db.session, repos.person("cy"), "ada@example.org",
                           now=app_clock.now(), confirmed_at=app_clock.now())
    db.session.rollback()
    assert repos.records(project)["ada"].git.commits == 2


def test_the_default_branchs_mailmap_maps_old_addresses(dryer):
    repos, project, ada, work = dryer
    cy = repos.person("cy")  # not a member
    repos.commit(work, "Cy Old <cy@old.example>", "Legs", {"legs.txt": "1\n2\n"},
                 T0 + timedelta(days=1))
    repos.commit(work, "Dee <dee@old.example>", "Tray", {"tray.txt": "1\n"})
    repos.commit(work, "Dee N <Dee@New.example>", "Tray 2", {"tray.txt": "1\n2\n"})
    repos.push(project, work)
    found = repos.records(project)
    assert "cy" not in found and "identity:cy@old.example" in found
    assert {"identity:dee@old.example", "identity:dee@new.example"} <= set(found)

    # A .mailmap on another branch changes nothing.
    git("checkout", "-q", "-b", "side", cwd=work)
    repos.commit(work, "Ada <ada@example.org>", "Mailmap",
                 {".mailmap": "<cy@example.org> <cy@old.example>\n"})
    repos.push(project, work, "side")
    assert "cy" not in repos.records(project)

    git("checkout", "-q", "main", cwd=work)
    repos.commit(work, "Ada <ada@example.org>", "Mailmap", {".mailmap": (
        "# People who moved\n"
        "<cy@example.org> <CY@old.example>\n"
        "Dee Doe <dee@new.example> <dee@old.example>\n"
        "Dee Doe <dee@new.example>\n")})
    repos.push(project, work)
    # Ada's .mailmap alone moves no one's commits: cy's account does not
    # hold cy@old.example and no account holds Dee's addresses. The names
    # it gives are shown.
    found = repos.records(project)
    assert "cy" not in found and found["identity:cy@old.example"].git.commits == 1
    dee_old, dee_new = found["identity:dee@old.example"], found["identity:dee@new.example"]
    assert (dee_old.name, dee_old.git.commits) == ("Dee Doe", 1)
    assert (dee_new.name, dee_new.masked_email, dee_new.git.commits) == \
        ("Dee Doe", "d…@new.example", 1)

    # Once cy's account holds the old address, the line is followed.
    accounts.add_email(db.session, cy, "cy@old.example", now=app_clock.now(),
                       confirmed_at=app_clock.now())
    db.session.commit()
    found = repos.records(project)
    assert "identity:cy@old.example" not in found
    assert found["cy"].git.commits == 1 and found["cy"].git.lines_added == 2
    assert found["cy"].git.first_at == T0 + timedelta(days=1)
    assert found["ada"].git.commits == 3


def test_a_person_mapped_by_mailmap_sees_the_project_on_their_profile(dryer):
    """cy's only contribution is commits under an old address that the
    project's .mailmap maps to hers: once the line is followed (her account
    holds the address), the project's records show her, and so does her
    profile; before, neither does."""
    repos, project, ada, work = dryer
    cy = repos.person("cy")
    repos.commit(work, "Cy Old <cy@old.example>", "Legs", {"legs.txt": "1\n2\n"})
    repos.commit(work, "Ada <ada@example.org>", "Mailmap",
                 {".mailmap": "<cy@example.org> <cy@old.example>\n"})
    repos.push(project, work)
    assert "cy" not in repos.records(project)
    assert services.profile(db.session, cy, repos.repos_dir, today=T0.date(), period="all") == []
    accounts.add_email(db.session, cy, "cy@old.example", now=app_clock.now(),
                       confirmed_at=app_clock.now())
    db.session.commit()
    assert repos.records(project)["cy"].git.commits == 1
    listed = services.profile(db.session, cy, repos.repos_dir, today=T0.date(), period="all")
    assert [(p.slug, r.git.commits) for p, r in listed] == [("dryer", 1)]


def test_co_authors_are_credited_with_the_commits_lines(dryer):
    repos, project, ada, work = dryer
    repos.person("bo")
    shared = repos.commit(
        work, "Ada <ada@example.org>", "Frame together", {"frame.txt": "1\n2\n3\n4\n"},
        T0 + timedelta(days=3),
        trailer="Co-authored-by: Bo B <BO@example.org>\n"
                "Co-authored-by: Ada again <ada@example.org>\n"
                "Co-authored-by: Eve Outside <eve@outside.example>")
    repos.commit(work, "Ada <ada@example.org>", "Alone", {"alone.txt": "x\n"})
    # A merge credits nobody.
    git("checkout", "-q", "-b", "side", "HEAD~1", cwd=work)
    repos.commit(work, "Bo <bo@example.org>", "Side", {"side.txt": "s\n"})
    git("checkout", "-q", "main", cwd=work)
    git("merge", "-q", "--no-ff", "-m", "Merge side", "side", cwd=work,
        env={"GIT_AUTHOR_NAME": "Fay", "GIT_AUTHOR_EMAIL": "fay@example.org",
             "GIT_COMMITTER_NAME": "Fay", "GIT_COMMITTER_EMAIL": "fay@example.org"})
    repos.push(project, work)
    found = repos.records(project)
    assert numstat(work, shared) == (4, 0)
    assert (found["bo"].git.commits, found["bo"].git.co_authored) == (1, 1)
    assert found["bo"].git.lines_added == 4 + 1
    assert found["bo"].git.first_at == T0  # the side commit; the shared one is later
    assert found["bo"].git.last_at == T0 + timedelta(days=3)
    assert (found["ada"].git.commits, found["ada"].git.co_authored) == (3, 0)
    eve = found["identity:eve@outside.example"]
    assert (eve.name, eve.git.commits, eve.git.co_authored, eve.git.lines_added) == \
        ("Eve Outside", 0, 1, 4)
    assert "identity:fay@example.org" not in found  # the merge's author
