"""Creating, finding, joining and leaving projects through the web."""

import subprocess

import git
import pytest
import sqlalchemy as sa
from markupsafe import escape

from commons import clock as app_clock
from commons.extensions import db
from commons.projects.models import Membership, Project
from tests.conftest import Browser


def projects_in_db(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Project.slug)))


@pytest.fixture
def alice(browser) -> Browser:
    browser.register("alice")
    return browser


def test_creating_a_project_makes_a_real_bare_repository(app, alice, repos_dir, tmp_path):
    response = alice.create_project()
    assert response.status_code == 302 and response.location == "/projects/solar-dryer"
    path = repos_dir / "solar-dryer.git"
    repo = git.Repo(path)
    assert repo.bare
    commit = repo.commit("main")
    assert sorted(item.path for item in commit.tree) == ["LICENSE", "README.md"]
    assert commit.author.name == "alice" and commit.author.email == "alice@example.org"
    licence = (commit.tree / "LICENSE").data_stream.read().decode()
    assert "CERN Open Hardware Licence Version 2 - Strongly Reciprocal" in licence
    assert len(licence) > 10000
    readme = (commit.tree / "README.md").data_stream.read().decode()
    assert readme.startswith("# Solar dryer") and "CERN-OHL-S-2.0" in readme
    assert repo.git.symbolic_ref("HEAD") == "refs/heads/main"
    subprocess.run(["git", "fsck", "--strict"], cwd=path, check=True, capture_output=True)
    # An ordinary git client can clone it.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(path), str(clone)], check=True)
    assert (clone / "LICENSE").read_text() == licence
    # Nothing else was left in the repository folder (no staging leftovers).
    assert [p.name for p in repos_dir.iterdir()] == ["solar-dryer.git"]


def test_project_page_shows_readme_licence_clone_url_and_members(app, alice):
    alice.create_project(description="Dries *food* with sunlight.")
    html = alice.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "<h1>Solar dryer</h1>" in html
    assert "<em>food</em>" in html
    assert "http://127.0.0.1:5000/projects/solar-dryer.git" in html
    assert "CERN Open Hardware Licence Version 2 - Strongly Reciprocal" in html
    # The README's own heading sits under the page's h1 and the README's h2.
    assert '<article class="readme"><h3>Solar dryer</h3>' in html
    assert "<li><a href=\"/users/alice\">alice</a></li>" in html


def test_the_project_page_says_who_may_propose(app, alice):
    alice.create_project()
    html = alice.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "Anyone logged in may propose a change without joining." in html
    alice.create_project(name="Closed dryer", slug="closed-dryer", outside="refuse")
    with app.app_context():
        assert db.session.scalar(sa.select(Project.outside).where(
            Project.slug == "closed-dryer")) == "refuse"
    html = alice.client.get("/projects/closed-dryer").get_data(as_text=True)
    assert "Only members may propose changes." in html
    assert "without joining" not in html


def test_project_page_is_public_and_escapes_what_people_typed(app, alice, make_app):
    alice.create_project(name="<script>alert(1)</script> dryer",
                         description="<img src=x onerror=alert(2)> [x](javascript:alert(3))")
    anonymous = app.test_client()
    html = anonymous.get("/projects/solar-dryer").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; dryer" in html
    assert "onerror" not in html and 'href="javascript:' not in html
    assert "Log in</a> to join" in html


def test_project_list_searches_names_and_descriptions(app, alice):
    alice.create_project()
    alice.create_project(name="Seed library", slug="seeds", license="CC-BY-SA-4.0",
                         description="Open-pollinated seeds shared by the neighbourhood.")
    everything = alice.client.get("/projects").get_data(as_text=True)
    assert "Solar dryer" in everything and "Seed library" in everything
    found = alice.client.get("/projects?q=pollinated").get_data(as_text=True)
    assert "Seed library" in found and "Solar dryer" not in found
    found = alice.client.get("/projects?q=SOLAR").get_data(as_text=True)
    assert "Solar dryer" in found and "Seed library" not in found
    none = alice.client.get("/projects?q=100%25_").get_data(as_text=True)
    assert "No project matches" in none


@pytest.mark.parametrize("fields, message", [
    ({"slug": "Solar Dryer"}, "lowercase letters, digits and single hyphens"),
    ({"slug": "new"}, "reserved"),
    ({"name": ""}, "This field is required"),
    ({"name": "x" * 101}, "Field cannot be longer than 100 characters"),
    ({"name": "ev\u202eil"}, "bidirectional control character"),
    ({"description": "x" * 2001}, "Field cannot be longer than 2000 characters"),
    ({"license": "CC-BY-NC-4.0"}, "is not an open licence"),
    ({"license": "LicenseRef-Mine"}, "custom licence"),
    ({"license": "Nonsense-1.0"}, "not an SPDX licence identifier"),
    ({"review_window_hours": "1"}, "at least 86400 seconds"),
    ({"threshold_amount": "lots"}, "Write the threshold as a plain number"),
    ({"threshold_amount": "1e999999999"}, "Write the threshold as a plain number"),
    ({"threshold_amount": "12.505"}, "EUR has 2 decimal places"),
    ({"threshold_currency": "ZZZ"}, "not an ISO 4217 currency"),
    ({"admission": "anyone"}, "Not a valid choice"),
    ({"outside": "members"}, "Not a valid choice"),
])
def test_bad_project_input_comes_back_filled_in_and_creates_nothing(app, alice, repos_dir,
                                                                    fields, message):
    response = alice.create_project(**fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    # What was typed comes back, so nothing has to be typed again.
    typed_slug = escape(fields.get("slug", "solar-dryer"))
    assert f'id="slug" maxlength="64" name="slug" required type="text" value="{typed_slug}"' in html
    assert projects_in_db(app) == []
    assert not repos_dir.exists() or list(repos_dir.iterdir()) == []


def test_non_open_licence_names_open_alternatives(app, alice):
    html = alice.create_project(license="CC-BY-NC-4.0").get_data(as_text=True)
    assert "Open alternatives: CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0" in html


def test_duplicate_slug_is_refused_and_the_first_repository_is_untouched(app, alice, repos_dir):
    alice.create_project()
    head = git.Repo(repos_dir / "solar-dryer.git").commit("main").hexsha
    response = alice.create_project(name="Other dryer")
    assert response.status_code == 422
    assert "A project with the slug “solar-dryer” exists" in response.get_data(as_text=True)
    assert git.Repo(repos_dir / "solar-dryer.git").commit("main").hexsha == head
    assert projects_in_db(app) == ["solar-dryer"]


def test_no_row_when_the_repository_cannot_be_created(make_app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the repositories should go")
    app = make_app(REPOS_DIR=str(blocker / "repos"))
    browser = Browser(app.test_client())
    browser.register("alice")
    response = browser.create_project()
    assert response.status_code == 422
    assert "could not be created" in response.get_data(as_text=True)
    assert projects_in_db(app) == []


def test_a_leftover_folder_with_the_same_name_is_not_overwritten(app, alice, repos_dir):
    (repos_dir / "solar-dryer.git").mkdir(parents=True)
    (repos_dir / "solar-dryer.git" / "precious").write_text("keep me")
    response = alice.create_project()
    assert response.status_code == 422
    assert (repos_dir / "solar-dryer.git" / "precious").read_text() == "keep me"
    assert projects_in_db(app) == []


def test_no_orphan_repository_when_the_database_write_is_rolled_back(app, repos_dir):
    from commons.accounts.services import register_user
    from commons.projects import services

    with app.app_context():
        founder = register_user(db.session, "alice", "alice@example.org", "x" * 12,
                                now=app_clock.now(), confirmed_at=app_clock.now())
        db.session.commit()
        settings = services.Settings.from_config(app.config)
        services.create_project(db.session, founder, services.NewProject(
            name="Dryer", slug="dryer", license="MIT"), settings, now=app_clock.now())
        assert (repos_dir / "dryer.git").is_dir()
        db.session.rollback()
        assert not (repos_dir / "dryer.git").exists()
        # The same when the request ends without a commit (session closed).
        services.create_project(db.session, db.session.merge(founder), services.NewProject(
            name="Dryer", slug="dryer", license="MIT"), settings, now=app_clock.now())
        assert (repos_dir / "dryer.git").is_dir()
        db.session.remove()
        assert not (repos_dir / "dryer.git").exists()
        # And a commit keeps it.
        founder = db.session.merge(founder)
        services.create_project(db.session, founder, services.NewProject(
            name="Dryer", slug="dryer", license="MIT"), settings, now=app_clock.now())
        db.session.commit()
        db.session.remove()
        assert (repos_dir / "dryer.git").is_dir()
    assert projects_in_db(app) == ["dryer"]


def test_creating_needs_login(client):
    response = client.get("/projects/new")
    assert response.status_code == 302 and "/login" in response.location


def test_join_an_open_project_then_leave(app, alice, second_browser):
    alice.create_project()
    second_browser.register("bob")
    second_browser.button("/projects/solar-dryer", "/projects/solar-dryer/join")
    html = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "You are a member of Solar dryer" in html and "<li><a href=\"/users/bob\">bob</a></li>" in html
    second_browser.button("/projects/solar-dryer", "/projects/solar-dryer/join")
    assert "already a member" in second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    # Leaving is in the project's settings, not on its home.
    home = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "/projects/solar-dryer/leave" not in home
    assert 'href="/projects/solar-dryer/settings"' in home
    settings = second_browser.client.get("/projects/solar-dryer/settings").get_data(as_text=True)
    assert "Yes, leave Solar dryer" in settings
    second_browser.button("/projects/solar-dryer/settings", "/projects/solar-dryer/leave")
    html = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "You left Solar dryer" in html and "<li><a href=\"/users/bob\">bob</a></li>" not in html
    # Joining again works, and the history stays one row.
    second_browser.button("/projects/solar-dryer", "/projects/solar-dryer/join")
    with app.app_context():
        rows = db.session.scalars(sa.select(Membership).join(Membership.user)).all()
        assert sorted((m.user.username, m.status) for m in rows) == [
            ("alice", "member"), ("bob", "member")]


def test_joining_a_consent_project_waits_for_the_members(app, alice, second_browser):
    alice.create_project(admission="consent")
    second_browser.register("bob")
    second_browser.button("/projects/solar-dryer", "/projects/solar-dryer/join")
    html = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "waiting for the members' consent" in html and "<li><a href=\"/users/bob\">bob</a></li>" not in html
    assert "Withdraw my request" in html
    second_browser.button("/projects/solar-dryer", "/projects/solar-dryer/leave")
    html = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "You withdrew your request" in html and "Ask to join Solar dryer" in html


def test_the_only_member_cannot_leave(app, alice):
    alice.create_project()
    settings = alice.client.get("/projects/solar-dryer/settings").get_data(as_text=True)
    assert "Invite someone to join before you leave." in settings
    assert "Yes, leave" not in settings  # no button that can only fail
    # A leave posted anyway is refused, back on the settings page.
    left = alice.submit("/projects/solar-dryer/settings", {"from": "settings"},
                        action="/projects/solar-dryer/leave")
    assert left.location == "/projects/solar-dryer/settings"
    html = alice.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "You are the only member" in html and "<li><a href=\"/users/alice\">alice</a></li>" in html


def test_join_without_csrf_token_is_refused(app, alice, second_browser):
    alice.create_project()
    second_browser.register("bob")
    response = second_browser.client.post("/projects/solar-dryer/join")
    assert response.status_code == 400
    html = second_browser.client.get("/projects/solar-dryer").get_data(as_text=True)
    assert "<li><a href=\"/users/bob\">bob</a></li>" not in html


def test_unknown_project_is_a_404_that_says_so(client):
    response = client.get("/projects/nothing-here")
    assert response.status_code == 404
    assert "There is no project “nothing-here”" in response.get_data(as_text=True)
