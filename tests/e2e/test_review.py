"""Review before consent, as people meet it: someone who is not a member
proposes a change with `git push HEAD:refs/for/main` and reads the
proposal's address in git's output; a member reads the change, comments on
a line, and objects citing another; the proposer pushes a fix, the comment
goes outdated; the member supports and the merge lands with the change
everyone saw. Then a member proposes a branch from the Branches page.
A real browser, the real git client and gunicorn."""

import re
import subprocess
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_first_steps import register
from tests.e2e.test_journey import token_of

SLUG = "seed-library"


def git(*args, cwd, home, who=None, check=True) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    if who:
        env.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=f"{who}@example.org",
                   GIT_COMMITTER_NAME=who, GIT_COMMITTER_EMAIL=f"{who}@example.org")
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert not check or done.returncode == 0, f"git {args[0]}: {done.stderr}"
    return done


def commit(work, home, who, name, text, message):
    (work / name).write_text(text)
    git("add", name, cwd=work, home=home)
    git("commit", "-q", "-m", message, cwd=work, home=home, who=who)


def test_an_outside_proposal_is_read_discussed_revised_and_merged(
        live_server, browser_factory, make_app, tmp_path):
    nia = browser_factory()
    register(nia, live_server, "nia")
    nia.goto(live_server + "/projects/new")
    nia.get_by_label("Name").fill("Seed library")
    nia.get_by_label("Slug").fill(SLUG)
    nia.get_by_label("Description").fill("Seeds kept and shared by the neighbourhood.")
    nia.get_by_label("Licence (SPDX identifier)").fill("CC-BY-SA-4.0")
    nia.get_by_label("Direct: members push it").check()  # outsiders still propose
    nia.get_by_role("button", name="Create project").click()
    clone_url = nia.get_by_label("Clone URL").input_value()
    nia_token = token_of(nia, live_server)
    mine = tmp_path / "nia"
    git("clone", "-q", clone_url, str(mine), cwd=tmp_path, home=tmp_path)
    commit(mine, tmp_path, "nia", "catalogue.txt",
           "Beans: runner\nPeas: sugar snap\nTomatoes: cherry\nSquash: butternut\n",
           "Start the catalogue")
    git("push", "-q", clone_url.replace("http://", f"http://nia:{nia_token}@"), "main",
        cwd=mine, home=tmp_path)

    # otto has an account but is no member; refs/for/ is open to him.
    otto = browser_factory(width=375, height=800)
    register(otto, live_server, "otto")
    otto_token = token_of(otto, live_server)
    otto_url = clone_url.replace("http://", f"http://otto:{otto_token}@")
    theirs = tmp_path / "otto"
    git("clone", "-q", clone_url, str(theirs), cwd=tmp_path, home=tmp_path)
    commit(theirs, tmp_path, "otto", "catalogue.txt",
           "Beans: runner, borlotti\nPeas: sugar snap\nTomatoes: cherry\nSquash: butternut\n"
           "Kale: cavolo nero\n", "Add borlotti beans and kale")
    pushed = git("push", otto_url, "HEAD:refs/for/main", cwd=theirs, home=tmp_path)
    proposal_url = f"{live_server}/projects/{SLUG}/proposals/1"
    assert proposal_url in pushed.stderr, pushed.stderr
    assert "remote:" in pushed.stderr

    # nia reads the change before taking any stance, and comments on a line.
    nia.goto(proposal_url)
    expect(nia.get_by_role("heading", level=2)).to_contain_text("Add borlotti beans and kale")
    nia.get_by_role("link", name="Read the changes").click()
    expect(nia).to_have_url(proposal_url + "/changes")
    expect(nia.get_by_text("Merges cleanly")).to_be_visible()
    diff = nia.locator("table").filter(has_text="Kale: cavolo nero")
    expect(diff).to_contain_text("Beans: runner, borlotti")
    screenshot(nia, "review-changes-desktop")
    nia.get_by_role("link", name="Comment on new line 1 of catalogue.txt").click()
    nia.get_by_label("Your comment").fill("Borlotti need a dry autumn to ripen here.")
    nia.get_by_role("button", name="Comment", exact=True).click()
    expect(nia).to_have_url(re.compile(re.escape(proposal_url + "/changes") + "#"))
    expect(nia.get_by_text("Borlotti need a dry autumn to ripen here.")).to_be_visible()

    # ... and objects, citing the kale line.
    nia.get_by_role("link", name="Comment on new line 5 of catalogue.txt").click()
    nia.get_by_label("Your comment").fill("Kale is already in the winter catalogue.")
    nia.get_by_role("button", name="Object citing this line").click()
    expect(nia.get_by_text("Kale is already in the winter catalogue.")).to_be_visible()
    nia.goto(proposal_url)
    expect(nia.get_by_role("heading", name=re.compile(r"Stances: 0 support, 0 abstain, 1 object"))) \
        .to_be_visible()

    # otto answers with a new revision: the first line changes again.
    commit(theirs, tmp_path, "otto", "catalogue.txt",
           "Beans: runner, borlotti (sown under glass)\nPeas: sugar snap\nTomatoes: cherry\n"
           "Squash: butternut\n", "Sow borlotti under glass; drop the kale")
    revised = git("push", otto_url, "HEAD:refs/for/main", cwd=theirs, home=tmp_path)
    assert proposal_url in revised.stderr, revised.stderr
    otto.goto(proposal_url)
    timeline = otto.locator(".timeline")
    expect(timeline).to_contain_text("otto pushed")
    expect(timeline).to_contain_text("(revision 2)")
    expect(timeline.locator(".outdated").first).to_be_visible()
    screenshot(otto, "review-proposal-phone")

    # Her objection was on the first revision; she reads the new one and
    # changes it to support.
    nia.goto(proposal_url)
    nia.get_by_role("radio", name="Support").check()
    nia.get_by_role("button", name="Change my stance").click()
    expect(nia.get_by_role("heading", name=re.compile(r"Stances: 1 support, 0 abstain, 0 object"))) \
        .to_be_visible()

    # The window closes: commons merges exactly what everyone saw.
    app = make_app()
    app.config["BASE_URL"] = live_server
    later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    ticked = app.test_cli_runner().invoke(args=["governance", "tick", "--now", later])
    assert "passed" in ticked.output, ticked.output
    git("pull", "-q", "origin", "main", cwd=mine, home=tmp_path)
    assert (mine / "catalogue.txt").read_text().startswith(
        "Beans: runner, borlotti (sown under glass)\n")
    authors = git("log", "--format=%an", "-3", cwd=mine, home=tmp_path).stdout.split()
    assert authors[0] == "otto" and "otto" in authors[1:]  # the merge is otto's proposal
    assert git("fsck", "--no-progress", cwd=mine, home=tmp_path).stdout == ""

    # A member proposes a branch of hers from the Branches page.
    git("checkout", "-q", "-b", "shelves", cwd=mine, home=tmp_path)
    commit(mine, tmp_path, "nia", "shelves.txt", "Shelf A: legumes\n", "Label the shelves")
    created = git("push", clone_url.replace("http://", f"http://nia:{nia_token}@"), "shelves",
                  cwd=mine, home=tmp_path)
    assert f"/projects/{SLUG}/proposals/new?kind=merge&branch=shelves" in created.stderr
    nia.goto(f"{live_server}/projects/{SLUG}/branches")
    nia.get_by_role("link", name="Propose merge of shelves").click()
    expect(nia.get_by_label("Branch to merge")).to_have_value("shelves")
    nia.get_by_label("Title").fill("Shelf labels")
    nia.get_by_role("button", name="Open the proposal").click()
    expect(nia.get_by_text("Opened proposal #2")).to_be_visible()
