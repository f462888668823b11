"""Notice before silence counts, as the people concerned meet it, in a real
browser against a real server that mails a real SMTP server: a newcomer
registers and confirms from the mailed link, sees the inbox badge change
when a proposal arrives, and an author without an account objects from the
link the proposal's mail gave her, which blocks the proposal's silence."""

import subprocess

import pytest
from playwright.sync_api import expect

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.projects import services as projects
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import screenshot

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "PATH": "/usr/bin:/bin",
       "GIT_COMMITTER_NAME": "C", "GIT_COMMITTER_EMAIL": "c@example.org"}


@pytest.fixture
def server_env(smtp):
    """The live server mails the test's SMTP server."""
    return {"COMMONS_MAIL_SERVER": "127.0.0.1", "COMMONS_MAIL_PORT": str(smtp.port)}


def git(*args, cwd, author=None):
    env = {**ENV, **({"GIT_AUTHOR_NAME": author.title(),
                      "GIT_AUTHOR_EMAIL": f"{author}@example.org"} if author else {})}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_confirm_be_told_and_object_without_an_account(live_server, browser_factory, make_app,
                                                      smtp, tmp_path):
    # ada registers and confirms her address from the mail the server sent.
    ada = browser_factory()
    ada.goto(live_server + "/register")
    ada.get_by_label("Username").fill("ada")
    ada.get_by_label("Email").fill("ada@example.org")
    ada.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    ada.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    ada.get_by_role("button", name="Register").click()
    expect(ada.get_by_text("Welcome, ada")).to_be_visible()
    [confirmation] = smtp.wait(1)
    assert confirmation["To"] == "ada@example.org"
    ada.goto(smtp.link(confirmation, "/confirm/"))
    expect(ada.get_by_text("Confirmed ada@example.org")).to_be_visible()

    # What happens meanwhile elsewhere (the test's own app on the server's
    # database and repositories): bo founds "Dryer", opted in to mailing
    # authors without an account; dora, who has none, wrote its frame.
    app = make_app(BASE_URL=live_server, SECRET_KEY="e2e-secret", **smtp.config)  # as the server
    with app.app_context():
        bo = accounts.register_user(db.session, "bo", "bo@example.org", TEST_PASSWORD,
                                    now=clock.now(), confirmed_at=clock.now())
        project = projects.create_project(db.session, bo, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
            now=clock.now())
        project.notify_outside_authors = True
        ada_account = accounts.find_user(db.session, "ada")
        projects.join_project(db.session, project, ada_account, now=clock.now())
        db.session.commit()
    work = tmp_path / "work"
    git("clone", "-q", str(tmp_path / "repos" / "dryer.git"), str(work), cwd=tmp_path)
    (work / "frame.txt").write_text("one\ntwo\nthree\n")
    git("add", "frame.txt", cwd=work)
    git("commit", "-q", "-m", "Frame", cwd=work, author="dora")
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    git("checkout", "-q", "-b", "better-frame", cwd=work)
    (work / "frame.txt").write_text("one\n2\nthree\n")
    git("commit", "-q", "-am", "Better frame", cwd=work, author="bo")
    git("push", "-q", "origin", "better-frame", cwd=work)

    ada.goto(live_server + "/projects/dryer")
    inbox = ada.get_by_role("link", name="Inbox")
    expect(inbox).to_have_text("Inbox")  # nothing unread yet

    with app.app_context():
        governance.open_proposal(db.session, db.session.merge(project), db.session.merge(bo),
                                 "merge", "Merge better-frame", "Numbers read better.",
                                 {"branch": "better-frame"},
                                 governance.Settings.from_config(app.config), clock.now())
        db.session.commit()

    ada.reload()
    expect(inbox).to_have_accessible_name("Inbox 1 unread")
    inbox.click()
    waiting = ada.get_by_role("region", name="Waiting for your stance")
    expect(waiting.get_by_role("link", name="Merge better-frame")).to_be_visible()
    screenshot(ada, "inbox-desktop")

    # dora is mailed a link of her own and objects through it, no account needed.
    [to_dora] = [m for m in smtp.wait(2) if m["To"] == "dora@example.org"]
    assert to_dora["Subject"] == "[Dryer] Proposal #1: Merge better-frame"
    dora = browser_factory(width=375, height=800)
    dora.goto(smtp.link(to_dora, "/notice/"))
    expect(dora.get_by_role("heading", name="Your stance, Dora")).to_be_visible()
    dora.get_by_label("Object (needs a reason)").check()
    dora.get_by_role("textbox", name="Reason").fill("Keep the words: the numbers are hard to read aloud.")
    dora.get_by_role("button", name="Take my stance").click()
    expect(dora.get_by_text("Your objection: “Keep the words")).to_be_visible()
    screenshot(dora, "outside-stance-phone")

    ada.goto(live_server + "/projects/dryer/proposals/1")
    expect(ada.get_by_text("Dora (no account) objects: Keep the words: the numbers are hard "
                           "to read aloud.", exact=True)).to_be_visible()
