"""The webhook pages under a project's settings, driven as a person would:
through the forms with their CSRF tokens; members only."""

import re

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.webhooks.models import Delivery, Webhook
from tests.conftest import Browser

PAGE = "/projects/solar-dryer/settings/webhooks"


@pytest.fixture
def app(make_app):
    # The receiver listens on 127.0.0.1: this site allows private targets.
    return make_app(WEBHOOK_ALLOW_PRIVATE=True)


@pytest.fixture
def member(browser):
    browser.register("alice")
    browser.create_project()
    return browser


def add_hook(browser, url, **fields):
    return browser.submit(PAGE, {"url": url, "secret": "", "events": ["push", "ledger_entry"],
                                 "enabled": "y", **fields})


def only_hook(app) -> Webhook:
    with app.app_context():
        [hook] = db.session.scalars(sa.select(Webhook)).all()
        db.session.expunge(hook)
        return hook


def test_a_member_adds_a_hook_and_sees_its_generated_secret(app, member, receiver):
    page = member.client.get("/projects/solar-dryer").get_data(as_text=True)
    # The project's tabs lead members to its settings, and those to here.
    assert 'href="/projects/solar-dryer/settings"' in page
    settings = member.client.get("/projects/solar-dryer/settings").get_data(as_text=True)
    assert f'href="{PAGE}"' in settings
    answer = add_hook(member, receiver.url)
    assert answer.status_code == 302
    hook = only_hook(app)
    assert answer.headers["Location"] == f"{PAGE}/{hook.id}"
    assert len(hook.secret) == 64 and hook.events == "push,ledger_entry" and hook.enabled
    shown = member.client.get(f"{PAGE}/{hook.id}").get_data(as_text=True)
    assert hook.secret in shown and receiver.url in shown
    listed = member.client.get(PAGE).get_data(as_text=True)
    assert receiver.url in listed and hook.secret not in listed


def test_a_member_edits_disables_and_deletes_a_hook(app, member, receiver):
    add_hook(member, receiver.url, secret="my-own-secret-0123456789")
    hook = only_hook(app)
    assert hook.secret == "my-own-secret-0123456789"
    page = f"{PAGE}/{hook.id}"
    answer = member.submit(page, {"url": receiver.url + "/v2", "secret": "",
                                  "events": ["membership"]})  # "enabled" unchecked
    assert answer.status_code == 302
    edited = only_hook(app)
    assert (edited.url, edited.events, edited.enabled, edited.secret) == \
        (receiver.url + "/v2", "membership", False, "my-own-secret-0123456789")
    assert member.button(page, f"{page}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Webhook)).all() == []


@pytest.mark.parametrize("url, says", [
    ("ftp://127.0.0.1/hook", "Only http:// and https:// URLs can receive webhooks"),
    ("gopher://example.org", "Only http:// and https://"),
])
def test_a_url_that_is_not_http_is_refused_on_the_form(app, member, url, says):
    answer = add_hook(member, url)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert says in html and f'value="{url}"' in html  # what was typed is kept
    with app.app_context():
        assert db.session.scalars(sa.select(Webhook)).all() == []


def test_no_events_is_refused(app, member, receiver):
    answer = member.submit(PAGE, {"url": receiver.url, "secret": ""})
    assert answer.status_code == 422
    assert "Choose at least one of the events" in answer.get_data(as_text=True)


def test_loopback_is_refused_when_private_targets_are_not_allowed(make_app, receiver):
    app = make_app()  # WEBHOOK_ALLOW_PRIVATE off, as by default
    browser = Browser(app.test_client())
    browser.register("alice")
    browser.create_project()
    for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost"),
                "http://[::1]:8080/hook", "http://192.168.1.20/hook"):
        answer = add_hook(browser, url)
        assert answer.status_code == 422, url
        assert "webhooks are sent to public addresses only" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(Webhook)).all() == []
    assert receiver.requests == []


def test_non_members_cannot_see_or_change_hooks(app, member, second_browser, receiver):
    add_hook(member, receiver.url)
    hook = only_hook(app)
    # Anonymous: asked to log in.
    anonymous = app.test_client()
    for path in (PAGE, f"{PAGE}/{hook.id}"):
        assert anonymous.get(path).status_code == 302
    # Logged in, not a member: refused, and nothing shows the secret.
    second_browser.register("mallory")
    outsider = second_browser.client
    project_page = outsider.get("/projects/solar-dryer").get_data(as_text=True)
    assert PAGE not in project_page
    for path in (PAGE, f"{PAGE}/{hook.id}"):
        answer = outsider.get(path)
        assert answer.status_code == 403
        assert hook.secret not in answer.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      outsider.get("/projects/solar-dryer").get_data(as_text=True)).group(1)
    assert outsider.post(PAGE, data={"csrf_token": token, "url": "http://127.0.0.1:1/x",
                                     "events": ["push"]}).status_code == 403
    assert outsider.post(f"{PAGE}/{hook.id}", data={
        "csrf_token": token, "url": "http://127.0.0.1:1/x", "events": ["push"]}).status_code == 403
    assert outsider.post(f"{PAGE}/{hook.id}/delete",
                         data={"csrf_token": token}).status_code == 403
    assert only_hook(app).url == receiver.url
    # Another project's hook id under this project: not found.
    assert member.client.get(f"{PAGE}/{hook.id + 1000}").status_code == 404


def test_forms_without_the_csrf_token_change_nothing(app, member, receiver):
    assert member.client.post(PAGE, data={"url": receiver.url, "events": ["push"]}) \
        .status_code in (400, 422)
    with app.app_context():
        assert db.session.scalars(sa.select(Webhook)).all() == []


def test_the_log_shows_attempts_and_redeliver_sends_again(app, member, receiver):
    add_hook(member, receiver.url)
    hook = only_hook(app)
    receiver.answers = [500]
    # A ledger entry through the ledger's own page.
    answer = member.submit("/projects/solar-dryer/inputs/new", {
        "title": "Glass pane", "kind": "material", "quantity": "1", "unit": "piece",
        "unit_cost": "40", "currency": "EUR", "needed_by": "2027-04-01", "description": "4 mm"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    receiver.wait(1)
    page = f"{PAGE}/{hook.id}"
    log = member.client.get(page).get_data(as_text=True)
    assert "ledger_entry" in log and "The receiver answered 500." in log
    with app.app_context():
        delivery = db.session.scalars(sa.select(Delivery)).one()
        delivery_id = delivery.id
    # Redelivery, through its button.
    member.button(page, f"{page}/deliveries/{delivery_id}/redeliver")
    first, again = receiver.wait(2)
    assert again.body == first.body
    log = member.client.get(page).get_data(as_text=True)
    assert "(redelivery)" in log and "delivered" in log
