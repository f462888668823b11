"""A project adopts its value rule by consent: a policy proposal carrying
recognition_rule, checked when it is opened (bad weights refused, nothing
written) and, when it passes, the next version stored with the proposal
that adopted it; work before the adoption keeps the rule it was done
under. Through the services, the new-proposal form and the API."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.problems import Invalid
from commons.recognition import queries
from commons.recognition.models import RecognitionRule
from tests.conftest import Browser, bearer


def counts():
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)),
            db.session.scalar(sa.select(sa.func.count()).select_from(RecognitionRule)))


def test_a_passing_policy_proposal_adopts_the_next_version(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)  # 1 March, before any rule
    proposal, _ = team.adopt({"weights": {"care": "1.5"}, "onerous": False})
    assert proposal.details == {"recognition_rule": {
        "weights": {"routine": "1", "care": "1.5", "creative": "1", "coordination": "1"},
        "onerous": False}}
    [rule] = queries.rule_versions(db.session, team.project)
    assert (rule.version, rule.weight("care"), rule.proposal_id, rule.adopted_at) == \
        (1, Decimal("1.5"), proposal.id, team.clock())
    passed = db.session.get(Proposal, proposal.id)
    assert passed.status == "passed"
    assert passed.outcome == "The policy changed: value rule version 1 adopted, for work " \
        "from 2026-03-05 on."
    team.work(team.bo, "4", "care", confirmed_by=team.ada)  # 5 March, under version 1
    [bo] = queries.recognition_for(db.session, team.project, date(2026, 3, 1),
                                   date(2026, 4, 1))
    assert [line.text for line in bo.lines] == ["care: 4 h × 1 = 4",
                                                "care (rule v1): 4 h × 1.5 = 6"]
    # A second proposal, with ratings and a policy change beside it: version 2.
    second, _ = team.adopt({"weights": {"routine": 2}, "onerous": True}, "Ratings count")
    versions = queries.rule_versions(db.session, team.project)
    assert [(v.version, v.weight("care"), v.weight("routine"), v.onerous_multiplies,
             v.proposal_id) for v in versions] == [
        (1, Decimal("1.5"), 1, False, proposal.id), (2, 1, 2, True, second.id)]
    assert queries.rule_in_force(db.session, team.project, team.clock()).version == 2


@pytest.mark.parametrize("rule, field, says", [
    ({"weights": {"care": "-1"}}, "weight_care", "cannot be negative"),
    ({"weights": {"routine": "abc"}}, "weight_routine", "is a number"),
    ({"weights": {"cleaning": "2"}}, "recognition_rule", "cleaning is not a kind of work"),
    ({"weights": {"care": "1000"}}, "weight_care", "at most 100"),
    ({"weights": {"care": "1"}, "onerous": "maybe"}, "rule_onerous", "onerous is true"),
])
def test_bad_rules_are_refused_at_opening_and_nothing_is_written(team, rule, field, says):
    before = counts()
    with pytest.raises(Invalid) as raised:
        governance.open_proposal(db.session, team.project, team.ada, "policy", "Weights", "",
                                 {"recognition_rule": rule}, team.settings(), team.clock())
    db.session.rollback()
    assert says in raised.value.message and raised.value.field == field
    assert counts() == before


def login(team, name):
    browser = Browser(team.app.test_client())
    assert browser.login(name, "x" * 12).status_code == 302
    return browser


def test_the_new_proposal_form_proposes_a_rule(team):
    ada = login(team, "ada")
    page = ada.client.get("/projects/dryer/proposals/new?kind=policy").get_data(as_text=True)
    assert 'name="weight_care"' in page and 'name="rule_onerous"' in page
    before = counts()
    refused = ada.submit("/projects/dryer/proposals/new?kind=policy", {
        "kind": "policy", "title": "Care counts more", "weight_care": "-2",
        "weight_routine": "1"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "cannot be negative" in text
    assert 'value="-2"' in text  # the form comes back filled in
    assert counts() == before
    made = ada.submit("/projects/dryer/proposals/new?kind=policy", {
        "kind": "policy", "title": "Care counts more", "weight_care": "1.5",
        "rule_onerous": "y"})
    assert made.status_code == 302, made.get_data(as_text=True)
    shown = ada.client.get(made.headers["Location"]).get_data(as_text=True)
    assert "weights routine 1, care 1.5, creative 1, coordination 1" in shown
    assert "onerous rating multiplies them" in shown
    team.clock.advance(days=4)
    governance.decide_due(db.session, team.settings(), team.clock())
    db.session.commit()
    [rule] = queries.rule_versions(db.session, team.project)
    assert rule.weight("care") == Decimal("1.5") and rule.onerous_multiplies


def test_the_api_opens_a_rule_proposal_and_refuses_bad_weights(team):
    token = accounts.create_token(db.session, team.ada, "tests", now=app_clock.now())[1]
    db.session.commit()
    client = team.app.test_client()
    before = counts()
    for weights, says in (({"care": -1}, "cannot be negative"), ({"care": "abc"}, "is a number"),
                          ({"gardening": "1"}, "not a kind of work")):
        refused = client.post("/api/v1/projects/dryer/proposals", headers=bearer(token), json={
            "kind": "policy", "title": "Weights",
            "policy": {"recognition_rule": {"weights": weights}}})
        assert refused.status_code == 422 and says in refused.get_json()["error"]
    assert counts() == before
    made = client.post("/api/v1/projects/dryer/proposals", headers=bearer(token), json={
        "kind": "policy", "title": "Care counts more",
        "policy": {"recognition_rule": {"weights": {"care": 1.5}, "onerous": True}}})
    assert made.status_code == 201, made.get_json()
    team.clock.advance(days=4)
    governance.decide_due(db.session, team.settings(), team.clock())
    db.session.commit()
    rules = client.get("/api/v1/projects/dryer/recognition/rules").get_json()
    assert rules["in_force"] == {
        "version": 1, "weights": {"routine": "1", "care": "1.5", "creative": "1",
                                  "coordination": "1"},
        "onerous": True, "adopted_at": "2026-03-05T12:00:00+00:00",
        "applies_from": "2026-03-05", "proposal": made.get_json()["number"]}
    assert [v["version"] for v in rules["versions"]] == [1]
