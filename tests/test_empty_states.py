"""Every page a newcomer meets says what to do next when there is nothing
on it yet: a link or a command, not just "nothing here"."""

import subprocess
from pathlib import Path

import pytest

NEW = "/projects/solar-dryer"


@pytest.fixture
def newcomer(browser):
    """alice, registered, with a project that has nothing in it yet."""
    browser.register()
    response = browser.create_project()
    assert response.status_code == 302
    return browser


@pytest.fixture
def emptied(newcomer, app):
    """The project's repository with no commits at all (as after an import
    that failed, or a repository made outside commons)."""
    repo = Path(app.config["REPOS_DIR"]) / "solar-dryer.git"
    subprocess.run(["git", "update-ref", "-d", "refs/heads/main"], cwd=repo, check=True)
    return newcomer


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return response.get_data(as_text=True)


def test_no_projects_invites_to_register_or_start_one(client, browser):
    assert 'href="/register">Register</a> to start the first one' in page(client, "/projects")
    browser.register()
    assert 'href="/projects/new">Start the first one</a>' in page(client, "/projects")


def test_an_empty_needs_board_points_to_the_projects(client):
    html = page(client, "/needs")
    assert "No project has an open need right now" in html
    assert 'href="/projects">browse the projects</a>' in html


def test_an_empty_inbox_says_what_arrives_there_and_where_to_go(newcomer, client):
    html = page(client, "/inbox")
    assert "Your inbox is empty" in html
    assert 'href="/projects">Find a project</a>' in html


def test_a_new_project_shows_members_how_to_push_a_change(newcomer, client):
    html = page(client, NEW)
    assert "git clone http://127.0.0.1:5000/projects/solar-dryer.git" in html
    assert "git push origin my-change" in html  # review: a branch, then a proposal
    assert f'href="{NEW}/proposals/new">propose its merge</a>' in html
    newcomer.logout()
    # Anyone else is shown the way in that needs no membership: refs/for/.
    html = page(client, NEW)
    assert "git push origin my-change" not in html
    assert "git push origin HEAD:refs/for/main" in html


def test_an_empty_repository_shows_how_to_push(emptied, client):
    html = page(client, NEW + "/tree")
    assert "This repository is empty" in html
    assert "git remote add origin http://127.0.0.1:5000/projects/solar-dryer.git" in html
    assert "git push origin main" in html
    assert 'href="/settings">personal access token</a>' in html


def test_the_history_of_an_empty_repository_shows_how_to_push(emptied, client):
    html = page(client, NEW + "/commits")
    assert "This repository is empty" in html
    assert "git push origin main" in html
    assert 'href="/projects/solar-dryer/commits" aria-current="page">History' in html


def test_no_branches_shows_how_to_push_one(emptied, client):
    html = page(client, NEW + "/branches")
    assert "No branches yet" in html
    assert "git push origin my-change" in html
    assert f'href="{NEW}/tree">Code</a> page shows how' in html


def test_no_tags_shows_how_to_tag_a_release(newcomer, client):
    assert "git tag v1.0 &amp;&amp; git push origin v1.0" in page(client, NEW + "/tags")


def test_no_proposals_shows_how_to_open_one(newcomer, client):
    html = page(client, NEW + "/proposals")
    assert "No proposal is open" in html
    assert f'href="{NEW}/proposals/new">propose its merge</a>' in html
    newcomer.logout()
    assert f'href="/login?next={NEW}/proposals">Log in</a> to open one' in \
        page(client, NEW + "/proposals")


def test_no_inputs_shows_how_to_add_a_need(newcomer, client):
    html = page(client, NEW + "/ledger")
    assert "Nothing is recorded yet" in html
    assert f'href="{NEW}/inputs/new">Add the first need</a>' in html


def test_no_logged_work_points_to_the_form(newcomer, client):
    html = page(client, NEW + "/work")
    assert "No work is logged yet. Log the first hours with the form above" in html
    assert 'id="work-form"' in html


def test_an_empty_journal_leads_back_to_the_ledger(newcomer, client):
    html = page(client, NEW + "/ledger/journal")
    assert f'The journal is empty. <a href="{NEW}/ledger">Go to the ledger</a>' in html


def test_no_readme_says_to_push_one(emptied, client):
    assert "has no README.md on main yet. Add one and push it." in page(client, NEW)
