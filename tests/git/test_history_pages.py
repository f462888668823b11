"""A history page's rows are kept per worker by what they show: the
commits' ids, the viewer's time zone and each relative time. A push, a
moving clock or another viewer's zone must show on the next view."""

import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from flask import template_rendered

from commons import clock as app_clock
from commons.accounts.services import register_user
from commons.extensions import db
from commons.projects import services as projects
from tests.conftest import TEST_PASSWORD

COMMITTED = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)
ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.org",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
       "GIT_AUTHOR_DATE": f"{int(COMMITTED.timestamp())} +0000",
       "GIT_COMMITTER_DATE": f"{int(COMMITTED.timestamp())} +0000",
       "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"}


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True,
                          text=True).stdout


def listed(html: str) -> list[str]:
    """The commit ids a history page links, in order."""
    return re.findall(r'<li>\s*<a href="/projects/[^/]+/commit/([0-9a-f]{40})"', html)


@pytest.fixture
def work(app, tmp_path, repos_dir):
    """A clone of project "dryer" with one more commit on main, made at
    COMMITTED and pushed; the clock reads two hours later."""
    app.config["CLOCK"] = lambda: COMMITTED + timedelta(hours=2)
    with app.app_context():
        user = register_user(db.session, "ada", "ada@example.org", TEST_PASSWORD,
                             now=app_clock.now(), confirmed_at=app_clock.now())
        projects.create_project(db.session, user, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
            now=app_clock.now())
        db.session.commit()
    clone = tmp_path / "work"
    git("clone", "-q", str(repos_dir / "dryer.git"), str(clone), cwd=tmp_path)
    (clone / "notes.md").write_text("First\n")
    git("add", "notes.md", cwd=clone)
    git("commit", "-q", "-m", "Write the first note", cwd=clone)
    git("push", "-q", "origin", "main", cwd=clone)
    return clone


def test_a_repeat_view_reuses_the_rendered_rows(app, client, work):
    rendered: list[str] = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(note, app):
        first = client.get("/projects/dryer/commits/main").get_data(as_text=True)
        assert "git/_history_rows.html" in rendered
        rendered.clear()
        again = client.get("/projects/dryer/commits/main").get_data(as_text=True)
    assert rendered == ["git/commits.html"]
    assert again == first and "Write the first note" in again


def test_kept_rows_escape_what_a_commit_says_and_a_huge_page_is_not_kept(app, client, work):
    (work / "notes.md").write_text("Second\n")
    git("commit", "-q", "-am", "<script>alert(1)</script> & co", cwd=work)
    git("push", "-q", "origin", "main", cwd=work)
    rendered: list[str] = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(note, app):
        views = [client.get("/projects/dryer/commits/main").get_data(as_text=True)
                 for _ in range(2)]
        assert rendered.count("git/_history_rows.html") == 1  # the second view was kept
        for html in views:
            assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
            assert "<script>alert" not in html
        # A subject longer than a kept page may be: rendered on each view.
        (work / "notes.md").write_text("Third\n")
        git("commit", "-q", "-am", "x" * 70_000, cwd=work)
        git("push", "-q", "origin", "main", cwd=work)
        rendered.clear()
        for _ in range(2):
            assert "x" * 70_000 in client.get("/projects/dryer/commits/main").get_data(
                as_text=True)
    assert rendered.count("git/_history_rows.html") == 2


def test_the_relative_times_follow_the_clock(app, client, work):
    html = client.get("/projects/dryer/commits/main").get_data(as_text=True)
    assert ('<time datetime="2031-03-14T12:00:00+00:00" title="2031-03-14 12:00 UTC">'
            '2 hours ago</time>') in html
    app.config["CLOCK"] = lambda: COMMITTED + timedelta(hours=3)
    html = client.get("/projects/dryer/commits/main").get_data(as_text=True)
    assert ">3 hours ago</time>" in html and "2 hours ago" not in html


def test_each_viewer_reads_the_exact_times_in_their_zone(app, client, browser, work):
    utc = 'title="2031-03-14 12:00 UTC"'
    assert utc in client.get("/projects/dryer/commits/main").get_data(as_text=True)
    browser.login("ada")
    browser.submit("/settings", {"time_zone": "Asia/Kolkata"}, action="/settings/time-zone")
    html = browser.client.get("/projects/dryer/commits/main").get_data(as_text=True)
    assert 'title="2031-03-14 17:30 IST"' in html and utc not in html
    browser.logout()
    assert utc in client.get("/projects/dryer/commits/main").get_data(as_text=True)


def test_a_push_shows_its_commit_on_the_next_view_of_the_branch(forge, client, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice, push="direct")
    clone = tmp_path / "clone"
    forge.git("clone", "-q", forge.url(slug, alice), str(clone))
    # More than a page, so the pages before and after the push are as long.
    for number in range(55):
        forge.git("commit", "-q", "--allow-empty", "-m", f"Step {number}", cwd=clone)
    first = forge.commit(clone, "notes.md", "First\n", "Write the first note", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=clone)
    forge.pushes(1)
    page = f"/projects/{slug}/commits/main"
    for _ in range(2):  # the second view comes from what the first kept
        seen = listed(client.get(page).get_data(as_text=True))
    assert seen[0] == first and len(seen) == 50
    second = forge.commit(clone, "notes.md", "Second\n", "Write the second note", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=clone)
    forge.pushes(2)
    html = client.get(page).get_data(as_text=True)
    assert listed(html) == [second, *seen[:49]] and "Write the second note" in html
    # The page from a commit id still shows that commit's history.
    assert listed(client.get(f"/projects/{slug}/commits/{first}").get_data(as_text=True)) == seen
