"""A merge proposal shows its change before anyone takes a stance: the
Changes view, the summary on the proposal page, and whether it merges,
asked again when either side moves. Real git client, real server."""

import re
import time
from pathlib import Path

from commons.git.diff_rules import line_anchor
from tests.conftest import Browser
from tests.git.test_governance import api


def wait_for_revision(forge, slug, number, revision):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _, proposal = api(forge, "GET", f"/projects/{slug}/proposals/{number}")
        if proposal["revision"] == revision:
            return proposal
        time.sleep(0.1)
    raise AssertionError(f"proposal #{number} never reached revision {revision}")


def page(forge, url):
    response = forge.app.test_client().get(url)
    return response.status_code, " ".join(response.get_data(as_text=True).split())


def test_changes_view_summary_and_mergeability_follow_both_sides(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    forge.join(bob, slug)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    seed = tmp_path / "seed"
    forge.git("clone", "-q", str(repo), str(seed))
    forge.commit(seed, "frame.txt", "steel\nbolts\nwheels\n", "Frame", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=seed)

    work = tmp_path / "bob"
    forge.git("clone", "-q", forge.url(slug, bob), str(work))
    forge.git("checkout", "-q", "-b", "bamboo", cwd=work)
    first = forge.commit(work, "frame.txt", "bamboo\nbolts\nwheels\n", "Bamboo frame", author=bob)
    head = forge.commit(work, "notes.md", "# Why bamboo\n", "Notes", author=bob)
    forge.git("push", "-q", "origin", "bamboo", cwd=work)
    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", bob.token,
                           {"kind": "merge", "title": "Bamboo frame", "branch": "bamboo"})
    assert status == 201 and proposal["details"]["head"] == head
    number = proposal["number"]

    status, html = page(forge, f"/projects/{slug}/proposals/{number}")
    assert status == 200
    assert f'href="/projects/{slug}/proposals/{number}/changes"' in html
    assert "2 commits, 2 files" in html and "+2" in html and "−1" in html
    assert "Merges cleanly" in html

    status, html = page(forge, f"/projects/{slug}/proposals/{number}/changes")
    assert status == 200
    assert html.index(head) < html.index(first)           # newest first
    assert "2 files changed" in html and "Merges cleanly" in html
    assert f'id="{line_anchor("frame.txt", "old", 1)}"' in html
    assert f'id="{line_anchor("frame.txt", "new", 1)}"' in html
    assert "index 0000000" not in html
    patch = re.search(r'href="(/projects/[^"]+\.patch)"', html).group(1)
    assert "Subject: [PATCH 1/2] Bamboo frame" in page(forge, patch)[1]

    # The target moves onto the same line: the conflict shows, with what to do.
    forge.commit(seed, "frame.txt", "aluminium\nbolts\nwheels\n", "Aluminium", author=alice)
    forge.git("push", "-q", "origin", "main", cwd=seed)
    _, html = page(forge, f"/projects/{slug}/proposals/{number}")
    assert "Conflicts in:</strong> frame.txt — merge main into bamboo and push." in html
    assert "Merges cleanly" not in html
    # The diff stays what bob proposed: from where bamboo left main.
    _, html = page(forge, f"/projects/{slug}/proposals/{number}/changes")
    assert "2 files changed" in html and "aluminium" not in html

    # bob merges main and resolves: the proposal pins the new head, clean again.
    forge.git("pull", "-q", "--no-rebase", "--no-edit", "-X", "ours", "origin", "main", cwd=work)
    forge.git("push", "-q", "origin", "bamboo", cwd=work)
    resolved = forge.git("rev-parse", "HEAD", cwd=work).stdout.strip()
    assert wait_for_revision(forge, slug, number, 2)["details"]["head"] == resolved
    _, html = page(forge, f"/projects/{slug}/proposals/{number}")
    assert "Merges cleanly" in html and "Conflicts in" not in html
    _, html = page(forge, f"/projects/{slug}/proposals/{number}/changes")
    assert resolved in html and "aluminium" in html    # the change now replaces aluminium


def test_changes_of_a_proposal_that_is_not_a_merge_is_a_404(forge):
    alice = forge.person("alice")
    slug = forge.project(alice)
    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
                           {"kind": "license", "title": "Relicense", "license": "Apache-2.0"})
    assert status == 201, proposal
    status, html = page(forge, f"/projects/{slug}/proposals/{proposal['number']}/changes")
    assert status == 404 and "only merge proposals change code" in html
    assert page(forge, f"/projects/{slug}/proposals/99/changes")[0] == 404


def test_branches_offer_propose_merge_which_preselects_the_branch(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    work = tmp_path / "alice"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    for branch in ("paint", "wheels"):
        forge.git("checkout", "-q", "-b", branch, "main", cwd=work)
        forge.commit(work, f"{branch}.txt", f"{branch}\n", branch.title(), author=alice)
        forge.git("push", "-q", "origin", branch, cwd=work)
    forge.pushes(2)
    api(forge, "POST", f"/projects/{slug}/proposals", alice.token,
        {"kind": "merge", "title": "Paint", "branch": "paint"})

    _, html = page(forge, f"/projects/{slug}/branches")
    offer = f"/projects/{slug}/proposals/new?kind=merge&amp;branch=wheels"
    assert f'href="{offer}"' in html
    assert "branch=paint" not in html and f'href="/projects/{slug}/proposals/1"' in html
    assert "branch=main" not in html        # the default branch is not proposed into itself

    client = forge.app.test_client()
    Browser(client).login("alice")
    form = client.get(offer.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'<input[^>]*value="merge"[^>]*checked|<input[^>]*checked[^>]*value="merge"', form)
    assert re.search(r'<input[^>]*name="branch"[^>]*value="wheels"|value="wheels"[^>]*name="branch"',
                     form)
