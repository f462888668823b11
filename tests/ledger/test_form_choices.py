"""The ledger's forms guide (issue 17): units and currencies are selects,
a need's description has a preview, and a form's POST address answers GET."""

import re

import pytest

from tests.conftest import Browser
from tests.ledger.test_pages import add_need, on_input, people_of


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


@pytest.fixture
def people(app):
    return people_of(app)


def select(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>.*?</select>', html, re.S)
    assert found, f"no select {name}"
    return found.group(0)


def test_unit_and_currency_are_selects(people):
    html = people.ada.client.get("/projects/dryer/inputs/new").get_data(as_text=True)
    units = select(html, "unit")
    assert '<optgroup label="Units">' in units and '<optgroup label="Money">' in units
    assert '<option selected value="piece">piece</option>' in units
    assert '<option value="kg">kg</option>' in units
    assert '<option value="EUR">EUR (Euro)</option>' in units
    currency = select(html, "currency")
    assert '<option value="">no cost</option><optgroup label="Common">' in currency
    assert '<option value="JPY">JPY (Japanese Yen)</option>' in currency
    # The project form and its threshold currency too.
    project_form = people.ada.client.get("/projects/new").get_data(as_text=True)
    assert '<option selected value="EUR">EUR (Euro)</option>' in select(
        project_form, "threshold_currency")


def test_the_server_still_judges_what_a_select_sends(people):
    assert add_need(people.ada).status_code == 302
    bad = add_need(people.ada, title="Glue", unit="parsec")
    assert bad.status_code == 422 and "is not a unit" in bad.get_data(as_text=True)
    assert 'value="Glue"' in bad.get_data(as_text=True)
    money = add_need(people.ada, title="Rent", quantity="200", unit="EUR", unit_cost="",
                     currency="")
    assert money.status_code == 302


def test_a_needs_description_has_a_preview_that_keeps_the_form(people):
    response = add_need(people.ada, description="Any **colour**", action="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>colour</strong>" in html and 'value="PLA filament"' in html
    assert "Any **colour**</textarea>" in html
    assert people.ada.client.get("/projects/dryer/ledger").get_data(as_text=True).count(
        "PLA filament") == 0


def test_the_input_forms_post_addresses_answer_get(people):
    assert add_need(people.ada).status_code == 302
    error = on_input(people.bo, "pledge", {"quantity": "-1"})
    assert error.status_code == 422
    for address, anchor in (("pledges", "#pledge-heading"), ("receipts", "#receipt-form"),
                            ("consumptions", "#consumption-form"), ("close", "#close-form")):
        again = people.bo.client.get(f"/projects/dryer/inputs/1/{address}")
        assert again.status_code == 302
        assert again.location == "/projects/dryer/inputs/1" + anchor


def test_settings_and_credit_forms_post_addresses_answer_get(people):
    for address, page in (("/settings/password", "/settings#password-heading"),
                          ("/settings/emails", "/settings#emails-heading"),
                          ("/settings/tokens", "/settings#tokens-heading"),
                          ("/projects/dryer/contributors/credits",
                           "/projects/dryer/contributors#credits")):
        again = people.ada.client.get(address)
        assert again.status_code == 302 and again.location == page, address
    anon = Browser(people.ada.client.application.test_client())
    assert anon.client.get("/settings/password").status_code == 302
