"""The rota pages driven through their real forms with CSRF tokens: a rota
started from the division-of-labour page, opting in, turns, a swap asked
and confirmed by the other, a turn marked done; members only for changes;
bad input re-shown with its message; the labour page's busiest share."""

import re
from html import unescape

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.ledger.models import WorkLog
from commons.rotas.models import Rota, RotaMember, RotaSwap, RotaTurn
from tests.conftest import Browser, csrf_token
from tests.rotas.conftest import FreshClient

PASSWORD = "x" * 12


def text_of(response) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def browse(scene):
    scene.app.test_client_class = FreshClient

    def signed_in(name: str | None) -> Browser:
        browser = Browser(scene.app.test_client())
        if name:
            assert browser.login(name, PASSWORD).status_code == 302
        return browser
    return signed_in


def rota_form(**fields) -> dict:
    return {"title": "Clean the workshop", "category": "care", "every_days": "7",
            "hours": "2", "starts_on": "2026-06-01", **fields}


def start_rota(browser) -> int:
    response = browser.submit("/projects/shed/contributors/labour", rota_form(),
                              action="/projects/shed/rotas")
    assert response.status_code == 302, text_of(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def count(model) -> int:
    db.session.rollback()  # read what the requests committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_rota_started_from_the_labour_page(scene, browse):
    ada = browse("ada")
    page = ada.client.get("/projects/shed/contributors/labour")
    assert 'id="rota-form"' in page.get_data(as_text=True)
    rota_id = start_rota(ada)
    shown = ada.client.get(f"/projects/shed/rotas/{rota_id}")
    assert shown.status_code == 200
    assert "Clean the workshop" in text_of(shown) and "Nobody has opted in yet" in text_of(shown)
    assert "Clean the workshop" in text_of(ada.client.get("/projects/shed/rotas"))
    assert "Clean the workshop" in text_of(ada.client.get("/projects/shed/contributors/labour"))


def test_bad_input_is_shown_on_the_form(scene, browse):
    ada = browse("ada")
    response = ada.submit("/projects/shed/rotas", rota_form(every_days="0", title="Cook"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "from 1 to 366" in text_of(response) and 'value="Cook"' in html
    assert count(Rota) == 0


def test_only_members_change_a_rota(scene, browse):
    anonymous, oz = browse(None), browse("oz")
    response = anonymous.submit("/login", rota_form(), action="/projects/shed/rotas")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert oz.submit("/projects/shed/rotas", rota_form()).status_code == 403
    assert 'id="rota-form"' not in oz.client.get("/projects/shed/rotas").get_data(as_text=True)
    rota_id = start_rota(browse("ada"))
    page = f"/projects/shed/rotas/{rota_id}"
    assert oz.button(page, page + "/opt-in").status_code == 403
    assert count(RotaMember) == 0
    # No CSRF token: refused, nothing written.
    ada = browse("ada")
    response = ada.client.post(page + "/opt-in", follow_redirects=True)
    assert "could not be checked" in text_of(response) and count(RotaMember) == 0
    assert count(Rota) == 1


def test_opt_in_swap_and_done(scene, browse):
    ada, bo = browse("ada"), browse("bo")
    rota_id = start_rota(ada)
    page = f"/projects/shed/rotas/{rota_id}"
    assert ada.button(page, page + "/opt-in").status_code == 302
    assert bo.button(page, page + "/opt-in").status_code == 302
    # Two who did no care yet alternate, ada first (she opted in first).
    shown = text_of(ada.client.get(page))
    assert re.search(r"Turn 1 , \S+ : ada .*Turn 2 , \S+ : bo .*Turn 3 , \S+ : ada", shown), shown
    # ada asks bo to swap turn 1 for bo's turn 2.
    html = ada.client.get(page).get_data(as_text=True)
    assert 'name="turn1-username"' in html and 'name="turn2-username"' not in html
    token = csrf_token(html)
    response = ada.client.post(page + "/turns/1/swap", data={
        "turn1-csrf_token": token, "turn1-username": "cy", "turn1-other_number": ""})
    assert response.status_code == 422 and "cy has not opted in" in text_of(response)
    assert 'value="cy"' in response.get_data(as_text=True)
    assert count(RotaSwap) == 0
    response = ada.client.post(page + "/turns/1/swap", data={
        "turn1-csrf_token": token, "turn1-username": "bo", "turn1-other_number": "2"})
    assert response.status_code == 302
    db.session.rollback()
    swap = db.session.scalar(sa.select(RotaSwap))
    shown = text_of(bo.client.get(page))
    assert "ada asks bo to take turn 1" in shown and "Confirm the swap" in shown
    assert bo.button(page, f"{page}/swaps/{swap.id}/confirm").status_code == 302
    db.session.rollback()
    holders = dict(db.session.execute(sa.select(RotaTurn.number, RotaTurn.user_id)).all())
    assert (holders[1], holders[2]) == (scene.bo.id, scene.ada.id)
    # bo marks turn 1 done: the hours are work of bo's.
    html = bo.client.get(page).get_data(as_text=True)
    response = bo.client.post(page + "/turns/1/done", data={
        "turn1-csrf_token": csrf_token(html), "turn1-hours": "30", "turn1-date": ""})
    assert response.status_code == 422 and "24" in text_of(response)
    assert count(WorkLog) == 0
    response = bo.client.post(page + "/turns/1/done", data={
        "turn1-csrf_token": csrf_token(html), "turn1-hours": "2.5", "turn1-date": ""})
    assert response.status_code == 302
    db.session.rollback()
    work = db.session.scalar(sa.select(WorkLog))
    assert (work.user_id, str(work.hours), work.category) == (scene.bo.id, "2.50", "care")
    shown = text_of(bo.client.get(page))
    assert f"work entry #{work.seq}" in shown and "done" in shown
    # ada cannot mark bo's turn done.
    token = csrf_token(ada.client.get(page).get_data(as_text=True))
    response = ada.client.post(page + "/turns/4/done", data={
        "turn4-csrf_token": token, "turn4-hours": "", "turn4-date": ""})
    assert response.status_code == 403 and count(WorkLog) == 1


def test_a_missed_turn_is_shown(scene, browse, clock):
    ada = browse("ada")
    rota_id = start_rota(ada)
    page = f"/projects/shed/rotas/{rota_id}"
    ada.button(page, page + "/opt-in")
    clock.advance(days=2)
    shown = text_of(ada.client.get(page))
    assert "missed" in shown and "Mark it done late" in shown


def test_the_labour_page_shows_the_busiest_share(scene, browse):
    scene.work(scene.ada, "9", days_ago=60)
    scene.work(scene.bo, "1", days_ago=60)
    scene.work(scene.ada, "1", days_ago=1)
    scene.work(scene.bo, "1", days_ago=1)
    response = browse(None).client.get("/projects/shed/contributors/labour")
    shown = text_of(response)
    assert "Share of the busiest person" in shown
    assert "90% (ada, of 10 h by 2)" in shown and "50% (ada, of 2 h by 2)" in shown
    assert "<polyline" in response.get_data(as_text=True)
