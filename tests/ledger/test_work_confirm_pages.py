"""Confirmed work (issue 20) on the pages, through the real forms with
their CSRF tokens: the rating on the work form, the "Confirm" button a
member sees beside someone else's hours (on the work page and in the
journal), who confirmed, the confirmer's "Withdraw confirmation" while
the month is open, and confirmed and unconfirmed hours apart on the
contributors and division-of-labour pages."""

import re

from commons.extensions import db
from commons.projects import services as projects
from commons.recognition import periods
from tests.ledger.test_pages import app, error_text, head, html_of, people  # noqa: F401

CONFIRM = "/projects/dryer/work/{}/confirm"
UNCONFIRM = "/projects/dryer/work/{}/unconfirm"


def log(browser, hours="3", category="care", **extra):
    return browser.submit("/projects/dryer/work", {
        "hours": hours, "category": category, "description": "cleaned the workshop",
        "date": "2026-03-01", **extra})


def cells(html: str, cls: str) -> list[str]:
    return [value.strip() for value in re.findall(rf'<td class="(?:[^"]* )?{cls}">([^<]*)</td>',
                                                  html)]


def test_the_rating_is_on_the_form_and_bad_ones_come_back(app, people):  # noqa: F811
    page = html_of(people.bo, "/projects/dryer/work")
    assert '<option value="3">3: very heavy</option>' in page
    refused = log(people.bo, onerous="4")
    assert refused.status_code == 422
    assert "1 (light), 2 (heavy) or 3 (very heavy)" in error_text(refused)
    assert "cleaned the workshop</textarea>" in refused.get_data(as_text=True)
    assert head(app) == 0
    assert log(people.bo, onerous="2").status_code == 302
    assert "heavy (2/3)" in html_of(people.bo, "/projects/dryer/work")


def test_confirm_then_withdraw_on_the_work_page(app, people):  # noqa: F811
    assert log(people.bo).status_code == 302  # entry 1
    own = html_of(people.bo, "/projects/dryer/work")
    assert CONFIRM.format(1) not in own and "unconfirmed" in own  # not one's own hours
    assert CONFIRM.format(1) not in html_of(people.cy, "/projects/dryer/work")  # not a member
    assert CONFIRM.format(1) not in html_of(people.anon, "/projects/dryer/work")
    page = html_of(people.ada, "/projects/dryer/work")
    assert f'action="{CONFIRM.format(1)}"' in page and ">Confirm</button>" in page

    done = people.ada.submit("/projects/dryer/work", {"next": "/projects/dryer/work"},
                             action=CONFIRM.format(1))
    assert done.status_code == 302 and done.headers["Location"] == "/projects/dryer/work"
    page = html_of(people.ada, "/projects/dryer/work")
    assert "You confirmed 3 hours of bo (entry #1)." in page
    assert "confirmed by ada" in page and "Withdraw confirmation</button>" in page
    assert head(app) == 2
    # Bo sees who confirmed, and no button to withdraw someone else's word.
    page = html_of(people.bo, "/projects/dryer/work")
    assert "confirmed by ada" in page and UNCONFIRM.format(1) not in page

    # A forged withdrawal by bo is refused with the reason, nothing written.
    forged = people.bo.submit("/projects/dryer/work", {}, action=UNCONFIRM.format(1))
    assert forged.status_code == 302
    assert "Only the member who confirmed" in html_of(people.bo, "/projects/dryer/work")
    assert head(app) == 2

    people.ada.submit("/projects/dryer/work", {}, action=UNCONFIRM.format(1))
    page = html_of(people.ada, "/projects/dryer/work")
    assert "You withdrew your confirmation of entry #1" in page
    assert f'action="{CONFIRM.format(1)}"' in page
    assert head(app) == 3


def test_the_journal_shows_confirmations_and_the_buttons(app, people):  # noqa: F811
    log(people.bo)
    page = html_of(people.ada, "/projects/dryer/ledger/journal")
    assert f'action="{CONFIRM.format(1)}"' in page
    people.ada.submit("/projects/dryer/ledger/journal", {
        "next": "/projects/dryer/ledger/journal#work-1"}, action=CONFIRM.format(1))
    page = html_of(people.ada, "/projects/dryer/ledger/journal")
    assert "ada confirms the hours of bo in" in page
    assert "confirmed by ada" in page and f'action="{UNCONFIRM.format(1)}"' in page


def test_a_closed_month_shows_no_buttons(app, people):  # noqa: F811
    log(people.bo)
    log(people.ada, hours="1")
    people.ada.submit("/projects/dryer/work", {}, action=CONFIRM.format(1))
    with app.app_context():
        project = projects.get_project(db.session, "dryer")
        periods.close(db.session, project.id, "2026-03", None, project.created_at)
        db.session.commit()
    page = html_of(people.ada, "/projects/dryer/work")
    assert UNCONFIRM.format(1) not in page and "2026-03 is closed" in page
    assert CONFIRM.format(2) not in html_of(people.bo, "/projects/dryer/work")
    refused = people.bo.submit("/projects/dryer/work", {}, action=CONFIRM.format(2))
    assert refused.status_code == 302
    assert "closed the month" in html_of(people.bo, "/projects/dryer/work")


def test_a_button_without_its_token_changes_nothing(app, people):  # noqa: F811
    log(people.bo)
    people.ada.client.get("/projects/dryer/work")
    forged = people.ada.client.post(CONFIRM.format(1), data={})
    assert forged.status_code in (302, 400)
    assert head(app) == 1
    assert people.anon.client.post(CONFIRM.format(1), data={}).status_code in (302, 400)
    assert head(app) == 1


def test_an_unsafe_next_goes_to_the_work_page(app, people):  # noqa: F811
    log(people.bo)
    done = people.ada.submit("/projects/dryer/work", {"next": "https://evil.example/"},
                             action=CONFIRM.format(1))
    assert done.headers["Location"] == "/projects/dryer/work#work-1"


def test_contributors_and_labour_show_confirmed_and_unconfirmed_hours(app, people):  # noqa: F811
    log(people.bo, hours="3")      # 1, confirmed below
    log(people.bo, hours="1.5")    # 2, not
    log(people.ada, hours="2", category="routine")  # 3, confirmed by bo
    people.ada.submit("/projects/dryer/work", {}, action=CONFIRM.format(1))
    people.bo.submit("/projects/dryer/work", {}, action=CONFIRM.format(3))
    page = html_of(people.anon, "/projects/dryer/contributors?sort=name")
    assert "Confirmed h" in page and "Unconfirmed h" in page
    assert cells(page, "confirmed-hours")[:2] == ["2", "3"]  # ada, bo
    assert cells(page, "unconfirmed-hours")[:2] == ["0", "1.5"]
    page = html_of(people.anon, "/projects/dryer/contributors?sort=confirmed&order=desc")
    assert page.index(">bo</a>") < page.index(">ada</a>")
    labour = html_of(people.anon, "/projects/dryer/contributors/labour")
    assert "<th scope=\"col\">Confirmed</th>" in labour
    assert cells(labour, "confirmed-hours") == ["3", "2"]  # bo (4.5 h) first, then ada
    assert cells(labour, "unconfirmed-hours") == ["1.5", "0"]
    profile = html_of(people.anon, "/users/bo")
    assert "3 h confirmed by another member, 1.5 h unconfirmed" in profile
