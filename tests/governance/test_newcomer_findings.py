"""What a newcomer trying the demo found in governance: stances named
with the wrong word ("Withdraw my object")."""

import re
from html import unescape

from commons.governance import rules
from tests.conftest import Browser, bearer
from tests.governance.test_web_api import app, clock, people  # noqa: F401 (the fixtures)


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_each_stance_has_its_noun_and_verb_in_one_place():
    assert {key: (w.noun, w.verb) for key, w in rules.STANCE_WORDS.items()} == {
        "support": ("support", "supports"), "abstain": ("abstention", "abstains"),
        "object": ("objection", "objects")}
    assert set(rules.STANCE_WORDS) == set(rules.STANCES)


def test_a_stance_is_withdrawn_by_its_noun(app, people):
    client, tokens = people
    client.post("/api/v1/projects/dryer/proposals", headers=bearer(tokens["alice"]),
                json={"kind": "decision", "title": "Paint it green"})
    bob = Browser(app.test_client())
    bob.login("bob")
    page = "/projects/dryer/proposals/1"
    for stance, reason, noun, verb in (("object", "Green fades", "objection", "objects"),
                                       ("abstain", "", "abstention", "abstains"),
                                       ("support", "", "support", "supports")):
        taken = bob.submit(page, {"stance": stance, "reason": reason, "revision": "1"},
                           action=page + "/stance")
        assert taken.status_code == 302, text_of(taken)
        html = text_of(bob.client.get(page))
        assert f"Withdraw my {noun}</button>" in html
        assert f"<strong>bob</strong> {verb}" in html
        assert bob.button(page, page + "/stance/withdraw").status_code == 302
        html = text_of(bob.client.get(page))
        assert f"bob withdrew their {noun}." in html
    assert "Withdraw my object<" not in html and "withdrew their object." not in html
