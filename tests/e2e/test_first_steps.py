"""A newcomer's first steps in a real browser against a real server:
register, create a project, find its clone URL, and a second person joins."""


from datetime import UTC

from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD, server_confirmation_link
from tests.e2e.conftest import screenshot


def register(page, base, username, confirm=True):
    """Register, then open the link the server mailed, as a newcomer does
    (its commits count as theirs only once the address is confirmed)."""
    page.goto(base + "/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text(f"Welcome, {username}")).to_be_visible()
    if confirm:
        link = server_confirmation_link(base, f"{username}@example.org")
        assert link and link.startswith(base), link
        page.goto(link)
        expect(page.get_by_text(f"Confirmed {username}@example.org")).to_be_visible()
        page.goto(base + "/projects")  # where registering led, as before


def test_register_create_a_project_and_a_second_person_joins(live_server, browser_factory):
    alice = browser_factory()
    alice.goto(live_server + "/projects")
    expect(alice.get_by_text("There are no projects yet")).to_be_visible()
    screenshot(alice, "projects-empty-desktop")

    register(alice, live_server, "alice")
    alice.get_by_role("link", name="New project").click()
    alice.get_by_label("Name").fill("Solar dryer")
    alice.get_by_label("Slug").fill("solar-dryer")
    alice.get_by_label("Description").fill("Dries food with *sunlight*.")
    alice.get_by_label("Licence (SPDX identifier)").fill("CC-BY-NC-4.0")
    alice.get_by_label("Consent: joining opens a proposal").check()
    screenshot(alice, "project-new-desktop")
    alice.get_by_role("button", name="Create project").click()

    # A non-open licence comes back with the reason, and nothing typed is lost.
    expect(alice.get_by_text("is not an open licence")).to_be_visible()
    expect(alice.get_by_label("Name")).to_have_value("Solar dryer")
    expect(alice.get_by_label("Description")).to_have_value("Dries food with *sunlight*.")
    expect(alice.get_by_label("Consent: joining opens a proposal")).to_be_checked()
    alice.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    alice.get_by_label("Open: whoever joins is a member at once").check()
    alice.get_by_role("button", name="Create project").click()

    expect(alice).to_have_url(live_server + "/projects/solar-dryer")
    expect(alice.get_by_role("heading", name="Solar dryer", level=1)).to_be_visible()
    expect(alice.get_by_label("Clone URL")).to_have_value(live_server + "/projects/solar-dryer.git")
    expect(alice.locator("article.readme")).to_contain_text("CERN Open Hardware Licence")
    screenshot(alice, "project-desktop")

    bob = browser_factory(width=375, height=800)
    register(bob, live_server, "bob")
    bob.goto(live_server + "/projects?q=sunlight")
    bob.get_by_role("link", name="Solar dryer").click()
    bob.get_by_role("button", name="Join Solar dryer").click()
    expect(bob.get_by_text("You are a member of Solar dryer")).to_be_visible()
    expect(bob.locator("ul.members li")).to_have_text(["alice", "bob"])
    screenshot(bob, "project-phone")

    alice.reload()
    expect(alice.locator("ul.members li")).to_have_count(2)


def test_tokens_are_shown_once_in_settings(live_server, browser_factory):
    page = browser_factory(width=375, height=800)
    register(page, live_server, "carol")
    page.goto(live_server + "/settings")
    page.get_by_label("Token name").fill("laptop git push")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("cmn_")
    screenshot(page, "settings-phone")
    page.goto(live_server + "/settings")
    expect(page.get_by_role("cell", name="laptop git push", exact=True)).to_be_visible()
    assert token not in page.content()


def test_push_a_branch_with_a_token_then_browse_it(live_server, browser_factory, tmp_path):
    """Create a project, clone it, commit, push a branch with a token from
    the settings page, browse the tree, history and commit, and download an
    archive, in a real browser and with the real git client."""
    import subprocess

    page = browser_factory()
    register(page, live_server, "dana")
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Name").fill("Seed library")
    page.get_by_label("Slug").fill("seeds")
    page.get_by_label("Licence (SPDX identifier)").fill("CC-BY-SA-4.0")
    page.get_by_role("button", name="Create project").click()
    clone_url = page.get_by_label("Clone URL").input_value()

    page.goto(live_server + "/settings")
    page.get_by_label("Token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.org",
           "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@example.org"}
    work = tmp_path / "seeds"
    subprocess.run(["git", "clone", "-q", clone_url, str(work)], env=env, check=True)
    (work / "catalogue.md").write_text("# Catalogue\n\n- Tomato, *Black Krim*\n")
    subprocess.run(["git", "checkout", "-q", "-b", "catalogue"], cwd=work, env=env, check=True)
    subprocess.run(["git", "add", "catalogue.md"], cwd=work, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "Start the catalogue"], cwd=work, env=env, check=True)
    push_url = clone_url.replace("http://", f"http://dana:{token}@")
    subprocess.run(["git", "push", "-q", push_url, "catalogue"], cwd=work, env=env, check=True)

    page.goto(live_server + "/projects/seeds")
    page.get_by_role("link", name="Branches").click()
    page.get_by_role("link", name="catalogue", exact=True).click()
    expect(page.get_by_role("link", name="catalogue.md")).to_be_visible()
    screenshot(page, "tree-desktop")
    page.get_by_role("link", name="catalogue.md").click()
    expect(page.locator(".highlight")).to_contain_text("Black Krim")
    screenshot(page, "blob-desktop")
    page.get_by_role("link", name="History of this file").click()
    page.get_by_role("link", name="Start the catalogue").click()
    expect(page.locator("tr.added").first).to_contain_text("# Catalogue")
    screenshot(page, "commit-desktop")
    page.get_by_role("link", name="Code").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .tar.gz").click()
    assert download.value.suggested_filename == "seeds-main.tar.gz"

    phone = browser_factory(width=375, height=800)
    phone.goto(live_server + "/projects/seeds/commits/catalogue")
    expect(phone.get_by_role("link", name="Start the catalogue")).to_be_visible()
    screenshot(phone, "history-phone")


def test_propose_a_merge_object_withdraw_and_watch_it_pass(live_server, browser_factory, make_app,
                                                           tmp_path):
    """In the browser: push a branch, propose its merge, see who is affected,
    object and withdraw, watch it pass and the merge appear in the history."""
    import subprocess
    from datetime import datetime, timedelta

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0", "GIT_COMMITTER_NAME": "x", "GIT_COMMITTER_EMAIL": "x@x.org"}

    def git(*args, cwd, who=None):
        extra = {"GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": f"{who}@example.org"} if who else {}
        subprocess.run(["git", *args], cwd=cwd, env={**env, **extra}, check=True,
                       capture_output=True)

    founder = browser_factory()
    register(founder, live_server, "fay")
    founder.get_by_role("link", name="New project").click()
    founder.get_by_label("Name").fill("Cargo bike")
    founder.get_by_label("Slug").fill("cargo")
    founder.get_by_label("Licence (SPDX identifier)").fill("CERN-OHL-S-2.0")
    founder.get_by_role("button", name="Create project").click()

    # fay's frame is on main (pushed before the project chose review; seeded here).
    repo = tmp_path / "repos" / "cargo.git"
    seed = tmp_path / "seed"
    git("clone", "-q", str(repo), str(seed), cwd=tmp_path)
    (seed / "frame.txt").write_text("steel tube\n")
    git("add", "frame.txt", cwd=seed)
    git("commit", "-q", "-m", "Frame", cwd=seed, who="fay")
    git("push", "-q", "origin", "main", cwd=seed)

    gus = browser_factory(width=375, height=800)
    register(gus, live_server, "gus")
    gus.goto(live_server + "/projects/cargo")
    gus.get_by_role("button", name="Join Cargo bike").click()
    gus.goto(live_server + "/settings")
    gus.get_by_label("Token name").fill("git")
    gus.get_by_role("button", name="Create token").click()
    gus_token = gus.locator("#new-token").inner_text()
    work = tmp_path / "gus"
    git("clone", "-q", f"{live_server}/projects/cargo.git", str(work), cwd=tmp_path)
    git("checkout", "-q", "-b", "aluminium", cwd=work)
    (work / "frame.txt").write_text("aluminium tube\n")
    git("commit", "-qam", "Lighter frame", cwd=work, who="gus")
    git("push", "-q", live_server.replace("http://", f"http://gus:{gus_token}@")
        + "/projects/cargo.git", "aluminium", cwd=work)

    gus.goto(live_server + "/projects/cargo/proposals")
    gus.get_by_role("link", name="Open a proposal").click()
    gus.get_by_label("Title").fill("Lighter frame")
    gus.get_by_label("Branch to merge").fill("aluminium")
    gus.get_by_role("button", name="Open the proposal").click()
    expect(gus.get_by_text("Opened proposal #1")).to_be_visible()
    expect(gus.locator("#affected-heading + p + ul")).to_contain_text("fay")
    screenshot(gus, "proposal-phone")

    founder.goto(live_server + "/projects/cargo/proposals/1")
    founder.get_by_label("Object (needs a reason)").check()
    founder.get_by_role("button", name="Take my stance").click()
    expect(founder.get_by_text("An objection needs a reason")).to_be_visible()
    founder.get_by_label("Object (needs a reason)").check()
    founder.get_by_label("Reason", exact=True).fill("Aluminium fatigues")
    founder.get_by_role("button", name="Take my stance").click()
    expect(founder.get_by_role("heading", name="Stances: 0 support, 0 abstain, 1 object")).to_be_visible()
    founder.get_by_role("button", name="Withdraw my objection").click()
    expect(founder.get_by_role("heading", name="Stances: 0 support, 0 abstain, 0 object")).to_be_visible()
    screenshot(founder, "proposal-desktop")

    app = make_app()
    app.config["BASE_URL"] = live_server
    later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
    assert "passed" in app.test_cli_runner().invoke(args=["governance", "tick", "--now", later]).output
    founder.reload()
    expect(founder.locator(".status-passed").first).to_be_visible()
    founder.goto(live_server + "/projects/cargo/commits/main")
    expect(founder.get_by_role("link", name="Merge aluminium (proposal #1: Lighter frame)")).to_be_visible()
    expect(founder.get_by_role("link", name="Lighter frame", exact=True)).to_have_count(0)
    screenshot(founder, "history-after-merge-desktop")
