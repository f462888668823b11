"""Verified addresses through the pages: the mailed link confirms, once, for
the account that added the address, before it expires; until then the
address receives nothing else and names nobody. Resend, remove, primary."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from commons.accounts import services
from commons.accounts.models import Email, User
from commons.extensions import db
from tests import mailbox
from tests.conftest import Browser, confirmation_link, mails_to

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


def row(app, address: str, username: str | None = None) -> Email:
    with app.app_context():
        query = sa.select(Email).join(User).where(Email.address == address)
        if username:
            query = query.where(User.username == username)
        email = db.session.scalar(query)
        db.session.expunge_all()
        return email


def user(app, username: str) -> User:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.username == username))
        found.emails  # noqa: B018 (loaded before the session ends)
        db.session.expunge_all()
        return found


def path(link: str) -> str:
    return urlsplit(link).path


def test_the_confirmation_reaches_a_real_smtp_server_and_its_link_confirms(make_app, smtp,
                                                                          clock):
    app = make_app(**smtp.config, CLOCK=clock, BASE_URL="https://commons.example")
    browser = Browser(app.test_client(), mailbox=smtp)
    assert browser.register("ada", confirm=False).status_code == 302
    [message] = smtp.wait(1)
    assert smtp.envelopes == [("noreply@commons.example", ["ada@example.org"])]
    assert message["Subject"] == "Confirm your address on commons"
    link = mailbox.link(message, "/settings/emails/confirm/")
    assert link.startswith("https://commons.example/settings/emails/confirm/")
    assert f'href="{link}"' in mailbox.html_of(message)
    assert row(app, "ada@example.org").confirmed_at is None
    assert browser.client.get(path(link)).status_code == 302
    assert row(app, "ada@example.org").confirmed_at == T0
    # The next registration that names the address mails its holder, once,
    # and no link.
    other = Browser(app.test_client(), mailbox=smtp)
    assert other.register("eve", email="Ada@Example.org", confirm=False).status_code == 302
    [_, told] = smtp.wait(2)
    assert told["To"] == "ada@example.org"
    assert told["Subject"] == "Someone tried to use your address on commons"
    assert "/settings/emails/confirm/" not in mailbox.text_of(told)
    assert 'confirmed on your account "ada"' in mailbox.text_of(told)


def test_the_mailed_link_confirms_and_only_then_the_address_counts(app, browser):
    browser.register("ada", confirm=False)
    [(subject, text)] = mails_to(app, "ada@example.org")
    assert subject == "Confirm your address on commons"
    assert "ada@example.org" in text and "48 hours" in text
    page = browser.client.get("/settings").get_data(as_text=True)
    assert "unconfirmed" in page and "Send a new link" in page and ">primary<" not in page
    assert user(app, "ada").primary_email is None
    with app.app_context():
        assert services.deliverable_address(user(app, "ada")) is None
    # An unconfirmed address is no login either.
    other = Browser(app.test_client())
    assert other.login("ada@example.org").status_code == 401

    response = browser.client.get(path(confirmation_link(app, "ada@example.org")))
    assert (response.status_code, response.location) == (302, "/settings")
    page = browser.client.get("/settings").get_data(as_text=True)
    assert "Confirmed ada@example.org" in page and ">primary<" in page
    assert row(app, "ada@example.org").confirmed_at == T0
    assert user(app, "ada").primary_email == "ada@example.org"
    assert other.login("ada@example.org").status_code == 302


def test_a_link_works_once(app, browser):
    browser.register("ada")
    response = browser.client.get(path(confirmation_link(app, "ada@example.org")))
    assert response.status_code == 410
    assert "already used" in response.get_data(as_text=True)


def test_an_expired_link_changes_nothing_and_a_new_one_works(app, browser, clock):
    browser.register("ada", confirm=False)
    first = confirmation_link(app, "ada@example.org")
    clock.advance(days=2, seconds=1)
    response = browser.client.get(path(first))
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert row(app, "ada@example.org").confirmed_at is None

    email_id = row(app, "ada@example.org").id
    browser.button("/settings", f"/settings/emails/{email_id}/resend")
    assert "Sent a new link" in browser.client.get("/settings").get_data(as_text=True)
    second = confirmation_link(app, "ada@example.org")
    assert second != first and len(mails_to(app, "ada@example.org")) == 2
    assert browser.client.get(path(second)).status_code == 302
    assert row(app, "ada@example.org").confirmed_at == clock.now


def test_the_link_lasts_as_configured(make_app, clock):
    app = make_app(CLOCK=clock, EMAIL_CONFIRM_MAX_AGE=600)
    browser = Browser(app.test_client())
    browser.register("ada", confirm=False)
    assert "works once, for 10 minutes" in mails_to(app, "ada@example.org")[0][1]
    clock.advance(seconds=601)
    assert browser.client.get(path(confirmation_link(app, "ada@example.org"))).status_code == 410


def test_a_new_link_ends_the_earlier_ones_and_is_not_sent_twice_a_minute(app, browser, clock):
    browser.register("ada", confirm=False)
    first = confirmation_link(app, "ada@example.org")
    email_id = row(app, "ada@example.org").id
    browser.button("/settings", f"/settings/emails/{email_id}/resend")
    assert "less than a minute ago" in browser.client.get("/settings").get_data(as_text=True)
    assert len(mails_to(app, "ada@example.org")) == 1
    clock.advance(minutes=1)
    browser.button("/settings", f"/settings/emails/{email_id}/resend")
    assert len(mails_to(app, "ada@example.org")) == 2
    response = browser.client.get(path(first))
    assert response.status_code == 410 and "newer link" in response.get_data(as_text=True)
    assert row(app, "ada@example.org").confirmed_at is None


@pytest.mark.parametrize("damage", [
    lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
    lambda token: token.split(".")[0] + ".x.y",
    lambda token: "nonsense",
])
def test_a_tampered_link_changes_nothing(app, browser, damage):
    browser.register("ada", confirm=False)
    token = confirmation_link(app, "ada@example.org").rsplit("/", 1)[1]
    response = browser.client.get(f"/settings/emails/confirm/{damage(token)}")
    assert response.status_code == 400
    assert "damaged" in response.get_data(as_text=True)
    assert row(app, "ada@example.org").confirmed_at is None


def test_a_link_signed_with_another_key_is_refused(make_app, clock):
    other = make_app(CLOCK=clock, SECRET_KEY="another site")
    Browser(other.test_client()).register("ada", confirm=False)
    forged = confirmation_link(other, "ada@example.org")
    app = make_app(CLOCK=clock)
    browser = Browser(app.test_client())
    browser.login("ada")
    assert browser.client.get(path(forged)).status_code == 400
    assert row(app, "ada@example.org").confirmed_at is None


def test_a_link_for_another_account_is_refused(app, browser, second_browser):
    browser.register("ada", confirm=False)
    second_browser.register("bob")
    link = path(confirmation_link(app, "ada@example.org"))
    response = second_browser.client.get(link)
    assert response.status_code == 403
    assert "another account" in response.get_data(as_text=True)
    assert row(app, "ada@example.org").confirmed_at is None
    # Logged out, the link asks for the login first, then confirms for ada.
    stranger = Browser(app.test_client())
    response = stranger.client.get(link)
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert stranger.login("ada", next_url=link).location == link
    assert stranger.client.get(link).status_code == 302
    assert row(app, "ada@example.org").confirmed_at is not None


def test_a_removed_address_link_does_nothing(app, browser):
    browser.register("ada")
    browser.submit("/settings", {"email": "ada@work.example"}, action="/settings/emails")
    link = path(confirmation_link(app, "ada@work.example"))
    browser.button("/settings", f"/settings/emails/{row(app, 'ada@work.example').id}/delete")
    response = browser.client.get(link)
    assert response.status_code == 410 and "no longer on your account" in \
        response.get_data(as_text=True)
    assert row(app, "ada@work.example") is None


def test_make_primary_sends_mail_to_a_confirmed_address_only(app, browser, clock):
    browser.register("ada")
    browser.submit("/settings", {"email": "ada@work.example"}, action="/settings/emails")
    work = row(app, "ada@work.example")
    browser.button("/settings", f"/settings/emails/{work.id}/primary")
    page = browser.client.get("/settings").get_data(as_text=True)
    assert "Confirm ada@work.example first" in page
    assert user(app, "ada").primary_email == "ada@example.org"

    browser.confirm("ada@work.example")
    browser.button("/settings", f"/settings/emails/{work.id}/primary")
    assert "Your mail now goes to ada@work.example" in \
        browser.client.get("/settings").get_data(as_text=True)
    assert user(app, "ada").primary_email == "ada@work.example"
    first = row(app, "ada@example.org")
    browser.button("/settings", f"/settings/emails/{first.id}/primary")
    assert user(app, "ada").primary_email == "ada@example.org"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Email)
                                 .where(Email.is_primary)) == 1
    # The primary one removed, the other confirmed one takes over.
    browser.button("/settings", f"/settings/emails/{first.id}/delete")
    assert user(app, "ada").primary_email == "ada@work.example"


def test_nobody_acts_on_anothers_addresses(app, browser, second_browser, clock):
    browser.register("ada", confirm=False)
    second_browser.register("bob")
    clock.advance(minutes=5)
    ada = row(app, "ada@example.org")
    for action in ("resend", "primary", "delete"):
        second_browser.button("/settings", f"/settings/emails/{ada.id}/{action}")
        assert "not on your account" in second_browser.client.get("/settings").get_data(
            as_text=True), action
    assert len(mails_to(app, "ada@example.org")) == 1
    after = row(app, "ada@example.org")
    assert (after.confirmed_at, after.is_primary, after.confirm_sent_at) == \
        (None, False, ada.confirm_sent_at)


def test_address_buttons_need_the_forms_token(app, browser):
    browser.register("ada", confirm=False)
    ada = row(app, "ada@example.org")
    for action in ("resend", "primary", "delete"):
        response = browser.client.post(f"/settings/emails/{ada.id}/{action}")
        assert response.status_code == 400, action
    assert len(mails_to(app, "ada@example.org")) == 1


def test_deliverable_addresses_for_many(app, browser, second_browser):
    browser.register("ada")
    second_browser.register("bob", confirm=False)
    browser.submit("/settings", {"email": "ada@work.example"}, action="/settings/emails")
    browser.confirm("ada@work.example")
    work = row(app, "ada@work.example")
    browser.button("/settings", f"/settings/emails/{work.id}/primary")
    ada, bob = user(app, "ada"), user(app, "bob")
    with app.app_context():
        assert services.deliverable_addresses(db.session, [ada.id, bob.id, 999]) == \
            {ada.id: "ada@work.example"}
        assert services.deliverable_address(ada) == "ada@work.example"
        assert services.deliverable_address(bob) is None


def test_a_squatted_address_goes_to_its_real_owner(app, browser, second_browser):
    """mallory registers with dan's address before dan has an account: it
    stays an unconfirmed claim; dan registers with it, confirms, and it is
    his. mallory's link, even opened by dan, does nothing for mallory."""
    second_browser.register("mallory", email="dan@example.org", confirm=False)
    mallorys_link = path(confirmation_link(app, "dan@example.org"))
    browser.register("dan")  # a second link, for dan's account, which he opens
    assert [e.confirmed for e in user(app, "dan").emails] == [True]
    assert [e.confirmed for e in user(app, "mallory").emails] == [False]
    response = browser.client.get(mallorys_link)
    assert response.status_code == 403
    assert [e.confirmed for e in user(app, "mallory").emails] == [False]
    with app.app_context():
        assert services.owners_of(db.session, ["dan@example.org"]) == \
            {"dan@example.org": user(app, "dan").id}
    # mallory asks again: dan is told, mallory gets nothing to open.
    mallorys = row(app, "dan@example.org", "mallory")
    app.config["CLOCK"].advance(minutes=1)
    second_browser.button("/settings", f"/settings/emails/{mallorys.id}/resend")
    assert mails_to(app, "dan@example.org")[-1][0] == \
        "Someone tried to use your address on commons"
    assert [subject for subject, _ in mails_to(app, "dan@example.org")].count(
        "Confirm your address on commons") == 2  # mallory's first, and dan's
