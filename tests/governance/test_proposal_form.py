"""The new-proposal form guides (issue 17): only the chosen kind's fields,
choices from what exists, a preview, and the stance and comment forms on
the proposal page; every path works without scripts."""

import re

import pytest

from commons.extensions import db
from commons.ledger import services as ledger
from tests.conftest import Browser

PASSWORD = "x" * 12


@pytest.fixture
def dryer(scene):
    """alice founds "dryer" (a member), pushes the branch "fan"; bob has an
    account only; the ledger has one input waiting for approval."""
    alice = scene.person("alice")
    scene.person("bob")
    project = scene.project(alice)
    scene.commit("README.md", "# Dryer\n", "Start", "alice", "main")
    scene.commit("fan.txt", "a fan\n", "Add a fan", "alice", "fan")
    ledger.record_need(db.session, project, alice, ledger.NeedForm(
        title="Solar panel", kind="equipment", quantity="1", unit="piece", unit_cost="900",
        currency="EUR"), scene.clock())
    db.session.commit()
    browser = Browser(scene.app.test_client())
    assert browser.login("alice", PASSWORD).status_code == 302
    return browser


PAGE = "/projects/dryer/proposals/new"


def proposals() -> int:
    return db.session.execute(db.text("select count(*) from proposals")).scalar()


def fieldsets(html: str) -> dict[str, bool]:
    """Each kind's fieldset and whether it is shown (not hidden)."""
    return {kind: "hidden" not in attrs for attrs, kind in
            ((m.group(0), m.group(1)) for m in re.finditer(r'<fieldset[^>]*data-kind="(\w+)"[^>]*>', html))}


def test_only_the_chosen_kinds_fields_show(dryer):
    html = dryer.client.get(PAGE).get_data(as_text=True)
    shown = fieldsets(html)
    assert set(shown) == {"merge", "membership", "license", "input", "policy"}
    assert [kind for kind, visible in shown.items() if visible] == ["merge"]
    html = dryer.client.get(PAGE + "?kind=license").get_data(as_text=True)
    assert [kind for kind, visible in fieldsets(html).items() if visible] == ["license"]
    assert 'value="license" checked' in html or re.search(r'checked[^>]*value="license"', html)
    # A decision has no fields of its own; a made-up kind falls back to merge.
    html = dryer.client.get(PAGE + "?kind=decision").get_data(as_text=True)
    assert not any(fieldsets(html).values())
    html = dryer.client.get(PAGE + "?kind=nonsense").get_data(as_text=True)
    assert [kind for kind, visible in fieldsets(html).items() if visible] == ["merge"]
    # The script that switches them in place is a file (CSP: no inline script).
    assert '<script src="/static/forms.js" defer></script>' in html
    assert "<script>" not in html


def test_choosing_the_kind_without_scripts_keeps_what_was_typed(dryer):
    response = dryer.submit(PAGE, {"kind": "input", "title": "Buy the panel",
                                   "body": "It *pays* back.", "action": "choose"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [kind for kind, visible in fieldsets(html).items() if visible] == ["input"]
    assert 'value="Buy the panel"' in html and "It *pays* back." in html
    assert "Opened proposal" not in html
    assert proposals() == 1  # the input's own approval proposal, opened with it


def test_fields_offer_what_exists(dryer):
    html = dryer.client.get(PAGE).get_data(as_text=True)
    branches = re.search(r'<datalist id="branch-choices">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="fan">Add a fan</option>' in branches
    assert 'value="main"' not in branches  # the default branch is the target, not a choice
    licences = re.search(r'<datalist id="licence-choices">(.*?)</datalist>', html, re.S).group(1)
    assert 'value="CC-BY-SA-4.0"' in licences and 'value="GPL-3.0-or-later"' in licences
    inputs = re.search(r'<datalist id="input-choices">(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="1">#1 Solar panel</option>' in inputs
    assert 'list="branch-choices"' in html and 'list="licence-choices"' in html
    assert 'id="username"' in html and 'value="alice"' in html
    currency = re.search(r'<select id="threshold_currency".*?</select>', html, re.S).group(0)
    assert '<option selected value="EUR">EUR (Euro)</option>' in currency


def test_the_free_text_path_still_opens_and_the_server_still_judges(dryer):
    bad = dryer.submit(PAGE, {"kind": "merge", "title": "Merge it", "branch": "nope"})
    assert bad.status_code == 422 and "There is no branch" in bad.get_data(as_text=True)
    assert 'value="Merge it"' in bad.get_data(as_text=True)
    opened = dryer.submit(PAGE, {"kind": "merge", "title": "Add the fan", "branch": "fan"})
    assert opened.status_code == 302


def test_preview_without_scripts_keeps_the_form_filled_in(dryer):
    response = dryer.submit(PAGE, {"kind": "decision", "title": "Paint it",
                                   "body": "**green** <script>alert(1)</script>",
                                   "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>green</strong>" in html and "<script>alert(1)" not in html
    assert 'value="Paint it"' in html and "**green**" in html
    assert [kind for kind, visible in fieldsets(html).items() if visible] == []
    assert proposals() == 1  # the input's own approval proposal, opened with it


def test_a_stance_change_keeps_the_earlier_reason(dryer):
    dryer.submit(PAGE, {"kind": "decision", "title": "Paint it green"})
    page = "/projects/dryer/proposals/2"
    dryer.submit(page, {"stance": "object", "reason": "Green fades in the sun"},
                 action=page + "/stance")
    html = dryer.client.get(page).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>\s*Green fades in the sun</textarea>', html)
    assert re.search(r'checked[^>]*value="object"', html)
    assert 'href="/glossary#stance"' in html


def test_comment_preview_without_scripts(dryer):
    dryer.submit(PAGE, {"kind": "decision", "title": "Paint it green"})
    page = "/projects/dryer/proposals/2"
    response = dryer.submit(page, {"body": "I prefer _blue_", "action": "preview"},
                            action=page + "/comments")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<em>blue</em>" in html and "I prefer _blue_</textarea>" in html
    assert "No comments yet." in html  # previewed, not posted


def test_form_addresses_answer_get_after_an_error(dryer):
    dryer.submit(PAGE, {"kind": "decision", "title": "Paint it green"})
    page = "/projects/dryer/proposals/2"
    error = dryer.submit(page, {"stance": "object", "reason": ""}, action=page + "/stance")
    assert error.status_code == 422
    # Reloading (or opening) the address the error page now has shows the form.
    for address, anchor in (("/stance", "#stances-heading"), ("/comments", "#comments"),
                            ("/revise", "#author-heading")):
        again = dryer.client.get(page + address)
        assert again.status_code == 302 and again.location == page + anchor
    assert dryer.client.get(page + "/stance", follow_redirects=True).status_code == 200


def test_revising_previews_the_new_body_and_the_pages_ids_stay_unique(dryer):
    dryer.submit(PAGE, {"kind": "decision", "title": "Paint it green"})
    page = "/projects/dryer/proposals/2"
    response = dryer.submit(page, {"title": "Paint it dark green", "body": "Darker *please*",
                                   "action": "preview"}, action=page + "/revise")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<em>please</em>" in html and 'value="Paint it dark green"' in html
    assert "revision 1" in html  # previewed, not revised
    # (Every form's CSRF token is id="csrf_token", as everywhere; no label points at it.)
    ids = [i for i in re.findall(r'\sid="([^"]+)"', html) if i != "csrf_token"]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'id="comment-body"' in html and 'id="revise-body"' in html


def test_a_projects_description_previews(scene):
    scene.person("carla")
    carla = Browser(scene.app.test_client())
    carla.login("carla", PASSWORD)
    response = carla.submit("/projects/new", {
        "name": "Kiln", "slug": "kiln", "license": "MIT", "description": "A **wood** kiln",
        "push": "review", "admission": "open", "outside": "accept", "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>wood</strong>" in html
    assert 'value="Kiln"' in html
    assert carla.client.get("/projects/kiln").status_code == 404


def test_terms_link_to_the_glossary_where_they_first_appear(dryer):
    dryer.submit(PAGE, {"kind": "decision", "title": "Paint it green"})
    pages = {
        "/projects/dryer/proposals": ("#lazy-consensus", "#review-window", "#standing-objection"),
        "/projects/dryer/proposals/new": ("#proposal", "#review-window"),
        "/projects/dryer/proposals/2": ("#stance",),
        "/projects/dryer/ledger": ("#input", "#pledge", "#journal"),
        "/projects/dryer/ledger/journal": ("#journal",),
        "/needs": ("#need", "#pledge"),
        "/inbox": ("#stance",),
    }
    for page, anchors in pages.items():
        html = dryer.client.get(page).get_data(as_text=True)
        for anchor in anchors:
            assert f'href="/glossary{anchor}"' in html, (page, anchor)
    glossary = dryer.client.get("/glossary").get_data(as_text=True)
    for anchors in pages.values():
        for anchor in anchors:
            assert f'id="{anchor[1:]}"' in glossary, anchor
