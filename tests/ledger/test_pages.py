"""The ledger's pages, driven through the real forms with their CSRF
tokens: the ledger and its chart, an input's forms and history, evidence
files, the journal and corrections, logged work and the needs board."""

import hashlib
import io
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest

from commons import paging
from commons.extensions import db
from commons.ledger import chart as charts
from commons.ledger import services
from commons.ledger.models import LedgerEntry
from commons.projects import services as projects
from tests.conftest import Browser, worker_decides

PNG = b"\x89PNG\r\n\x1a\n" + b"receipt from the hackerspace shop" * 20


@pytest.fixture
def app(make_app, clock):
    return make_app(CLOCK=clock)


def people_of(app):
    """ada founds "Dryer" (approval threshold 100 EUR), bo joins, cy only
    has an account, anon has none."""
    ada, bo, cy = (Browser(app.test_client()) for _ in range(3))
    assert ada.register("ada").status_code == 302
    assert ada.create_project(name="Dryer", slug="dryer", threshold_amount="100",
                              threshold_currency="EUR").status_code == 302
    assert bo.register("bo").status_code == 302
    assert bo.button("/projects/dryer", "/projects/dryer/join").status_code == 302
    assert cy.register("cy").status_code == 302
    return SimpleNamespace(ada=ada, bo=bo, cy=cy, anon=Browser(app.test_client()))


@pytest.fixture
def people(app):
    return people_of(app)


def add_need(browser: Browser, slug="dryer", **fields):
    data = {"title": "PLA filament", "kind": "material", "quantity": "20", "unit": "kg",
            "unit_cost": "2.50", "currency": "EUR", "needed_by": "2026-04-01",
            "description": "1.75 mm, any colour.", **fields}
    return browser.submit(f"/projects/{slug}/inputs/new", data)


def on_input(browser: Browser, form: str, data: dict, number=1, slug="dryer", **kwargs):
    """Send one of the input page's forms (its fields carry the form's prefix)."""
    action = {"pledge": "pledges", "receipt": "receipts", "consumption": "consumptions",
              "close": "close"}[form]
    return browser.submit(f"/projects/{slug}/inputs/{number}",
                          {f"{form}-{key}": value for key, value in data.items()},
                          action=f"/projects/{slug}/inputs/{number}/{action}", **kwargs)


def html_of(browser: Browser, url: str, status: int = 200) -> str:
    response = browser.client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def totals(html: str, currency="EUR") -> tuple[str, str, str]:
    """(estimated cost of open needs, pledged, received) from the totals table."""
    match = re.search(rf'<th scope="row">{currency}</th>\s*<td class="num">([^<]+)</td>\s*'
                      r'<td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>', html)
    assert match, "no totals row for " + currency
    return match.groups()


def chart(html: str) -> list[str]:
    """The figures written beside the chart's bars."""
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S)
    assert svg, "the ledger page has no chart"
    return re.findall(r'class="chart-figure">([^<]+)</text>', svg.group(0))


def widths(html: str) -> list[tuple[str, str]]:
    """The parts of the chart's bars, (part, width in per cent)."""
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0)
    return re.findall(r'<rect class="(\w+)" x="[\d.]+%?" y="\d+" width="([\d.]+)%"', svg)


def head(app, slug="dryer") -> int:
    with app.app_context():
        return services.head(db.session, projects.get_project(db.session, slug))[0]


def error_text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


# ---------------------------------------------------------------- the flow

def test_need_pledge_receipts_use_and_a_correction_change_the_page(app, people, tmp_path):
    ada, bo, cy, anon = people.ada, people.bo, people.cy, people.anon
    empty = html_of(anon, "/projects/dryer/ledger")
    assert "Nothing is recorded yet" in empty and "join the project" in empty
    assert "Add the first need" in html_of(ada, "/projects/dryer/ledger")

    added = add_need(ada)
    assert added.status_code == 302 and added.location == "/projects/dryer/inputs/1"
    page = html_of(ada, "/projects/dryer/inputs/1")
    assert "Input #1 (PLA filament) is approved" in page  # 50 EUR <= 100 EUR
    ledger = html_of(anon, "/projects/dryer/ledger")
    assert totals(ledger) == ("50.00", "0.00", "0.00")
    assert chart(ledger) == ["0 of 20 kg received, 0 kg pledged"]
    assert widths(ledger) == [("track", "100.0")]
    assert 'role="img"' in ledger and "<title id=\"chart-title\">" in ledger
    assert "Input #1 PLA filament: 20 kg needed, 0 kg pledged, 0 kg received." in ledger

    pledged = on_input(cy, "pledge", {"quantity": "5", "note": "one spool"})
    assert pledged.status_code == 302
    assert "You pledged 5 kg of PLA filament" in html_of(cy, "/projects/dryer/inputs/1")
    ledger = html_of(anon, "/projects/dryer/ledger")
    assert totals(ledger) == ("37.50", "12.50", "0.00")
    assert chart(ledger) == ["0 of 20 kg received, 5 kg pledged"]
    assert widths(ledger) == [("track", "100.0"), ("pledged", "25.0")]

    # ada records cy's delivery against the pledge, with a link as evidence.
    page = html_of(ada, "/projects/dryer/inputs/1")
    assert '<option value="2">#2 by cy: 5 kg to come</option>' in page
    received = on_input(ada, "receipt", {"quantity": "5", "pledge": "2",
                                         "evidence_url": "https://example.org/r/1.jpg",
                                         "date": "2026-03-01"})
    assert received.status_code == 302, error_text(received)
    ledger = html_of(anon, "/projects/dryer/ledger")
    assert totals(ledger) == ("37.50", "0.00", "12.50")
    assert chart(ledger) == ["5 of 20 kg received, 0 kg pledged"]

    # bo records 2 kg bought at a shop, with the photo of the receipt uploaded.
    received = on_input(bo, "receipt", {"quantity": "2", "provider": "Hackerspace shop",
                                        "evidence_file": (io.BytesIO(PNG), "till receipt.png",
                                                          "image/png")})
    assert received.status_code == 302, error_text(received)
    digest = hashlib.sha256(PNG).hexdigest()
    stored = Path(app.config["EVIDENCE_DIR"]) / digest[:2] / digest
    assert stored.read_bytes() == PNG
    page = html_of(anon, "/projects/dryer/inputs/1")
    assert f'href="/projects/dryer/evidence/{digest}">till receipt.png</a>' in page
    assert 'href="https://example.org/r/1.jpg" rel="nofollow noopener ugc"' in page
    download = anon.client.get(f"/projects/dryer/evidence/{digest}")
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "till receipt.png" in download.headers["Content-Disposition"]
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    ledger = html_of(anon, "/projects/dryer/ledger")
    assert totals(ledger) == ("32.50", "0.00", "17.50")

    used = on_input(bo, "consumption", {"quantity": "1.5", "purpose": "first drying rack",
                                        "proposal": ""})
    assert used.status_code == 302, error_text(used)
    page = html_of(anon, "/projects/dryer/inputs/1")
    assert re.search(r"<dt>Used</dt><dd>1.5 kg</dd>", page)
    assert re.search(r"<dt>Still needed</dt><dd>13 kg</dd>", page)

    # The shop delivered 1 kg, not 2: a correction, not an edit.
    form = html_of(ada, "/projects/dryer/ledger/4/correct")
    assert "Change to the quantity" in form and "Change to the hours" not in form
    corrected = ada.submit("/projects/dryer/ledger/4/correct",
                           {"quantity": "-1", "reason": "The shop's bag held 1 kg."})
    assert corrected.status_code == 302
    assert corrected.location == "/projects/dryer/ledger/journal#entry-6"
    journal = html_of(anon, "/projects/dryer/ledger/journal")
    assert re.search(r'Corrects <a href="[^"]+#entry-4">entry #4</a> \(receipt of '
                     r'<a href="/projects/dryer/inputs/1">input #1 \(PLA filament\)</a>\):\s*'
                     r"quantity -1 kg\. Reason: The shop&#39;s bag held 1 kg\.", journal)
    ledger = html_of(anon, "/projects/dryer/ledger")
    assert totals(ledger) == ("35.00", "0.00", "15.00")
    assert chart(ledger) == ["6 of 20 kg received, 0 kg pledged"]
    assert widths(ledger) == [("track", "100.0"), ("received", "30.0")]
    # The head on the page is the last entry's full hash, and the chain holds.
    with app.app_context():
        project = projects.get_project(db.session, "dryer")
        last = services.get_entry(db.session, project, 6)
        assert services.verify(db.session, project).intact
    assert f'<code class="hash full" id="head-hash">{last.hash}</code>' in ledger
    assert f'title="{last.hash}"' in journal
    result = app.test_cli_runner().invoke(args=["ledger", "verify", "dryer"])
    assert result.exit_code == 0 and "6 entries, chain intact" in result.output


def test_a_pending_need_links_its_input_proposal_and_is_approved_when_it_passes(app, people,
                                                                              clock):
    added = add_need(people.ada, unit_cost="24.50")  # 490 EUR > 100 EUR
    page = html_of(people.ada, added.location)
    flash = re.search(r'<p class="flash success">(.*?)</p>', page, re.S).group(1)
    assert "Input #1 (PLA filament) is pending" in flash
    assert '<a href="/projects/dryer/proposals/1">Proposal #1</a> asks them' in flash
    assert 'class="badge badge-warning status-pending">pending</span>' in page
    assert 'href="/projects/dryer/proposals/1">Proposal #1</a> asks them; it passes' in page
    # Pledges are welcome meanwhile.
    assert on_input(people.cy, "pledge", {"quantity": "20"}).status_code == 302
    clock.advance(days=4)
    worker_decides(app)
    page = html_of(people.anon, "/projects/dryer/inputs/1")
    assert 'class="badge badge-success status-covered">covered</span>' in page
    journal = html_of(people.anon, "/projects/dryer/ledger/journal")
    assert re.search(r"commons \(a decision\)\s*· <span class=\"action action-approve\">", journal)
    assert 'href="/projects/dryer/proposals/1">proposal #1</a> passed.' in journal


def test_the_pledger_withdraws_and_only_the_pledger_sees_the_button(app, people):
    add_need(people.ada)
    on_input(people.cy, "pledge", {"quantity": "5"})
    assert "Withdraw pledge #2" not in html_of(people.ada, "/projects/dryer/inputs/1")
    assert "Withdraw pledge #2" in html_of(people.cy, "/projects/dryer/inputs/1")
    refused = people.bo.button("/projects/dryer/inputs/1", "/projects/dryer/pledges/2/withdraw")
    assert refused.status_code == 302
    assert "Only the person who pledged" in html_of(people.bo, "/projects/dryer/inputs/1")
    withdrawn = people.cy.button("/projects/dryer/inputs/1", "/projects/dryer/pledges/2/withdraw")
    assert withdrawn.location == "/projects/dryer/inputs/1"
    page = html_of(people.cy, "/projects/dryer/inputs/1")
    assert "Pledge #2 is withdrawn" in page and "<td>withdrawn</td>" in page
    assert totals(html_of(people.anon, "/projects/dryer/ledger")) == ("50.00", "0.00", "0.00")


def test_closing_stops_pledges_and_says_so(app, people):
    add_need(people.ada)
    closed = on_input(people.bo, "close", {"reason": "A neighbour lent us a spool."})
    assert closed.status_code == 302
    page = html_of(people.cy, "/projects/dryer/inputs/1")
    assert 'class="badge badge-muted status-closed">closed</span>' in page and 'id="pledge-form"' not in page
    late = on_input(people.cy, "pledge", {"quantity": "1"})
    assert late.status_code == 409
    assert "Input #1 (PLA filament) is closed" in error_text(late)
    # A closed need costs nothing any more.
    assert totals(html_of(people.anon, "/projects/dryer/ledger")) == ("0.00", "0.00", "0.00")


# ---------------------------------------------------------------- bad input

def test_bad_input_comes_back_with_the_reason_and_everything_typed(app, people):
    ada = people.ada
    refused = add_need(ada, title="PLA filament, black", quantity="1.2345",
                       description="For the *racks*.")
    assert refused.status_code == 422
    text = error_text(refused)
    assert "quantity in kg has at most 3 decimal places; “1.2345” has more." in text
    assert 'value="PLA filament, black"' in text and 'value="1.2345"' in text
    assert "For the *racks*.</textarea>" in text
    assert '<option selected value="material">' in text

    refused = add_need(ada, unit="parsecs")
    assert refused.status_code == 422 and "“parsecs” is not a unit" in error_text(refused)
    refused = add_need(ada, currency="", unit_cost="3")
    assert refused.status_code == 422 and "Give the currency of the unit cost" in \
        error_text(refused)
    refused = add_need(ada, title="")
    assert refused.status_code == 422 and "Give a title." in error_text(refused)
    assert head(app) == 0

    add_need(ada)
    refused = on_input(people.cy, "pledge", {"quantity": "21", "note": "all of it"})
    assert refused.status_code == 422
    text = error_text(refused)
    assert "Only 20 kg of PLA filament is still needed" in text
    assert 'value="21"' in text and "all of it</textarea>" in text
    refused = on_input(ada, "consumption", {"quantity": "1", "purpose": "rack"})
    assert refused.status_code == 422 and "Record the receipt first" in error_text(refused)
    refused = on_input(ada, "receipt", {"quantity": "1", "provider": "shop",
                                        "evidence_url": "javascript:alert(1)"})
    assert refused.status_code == 422
    assert "Evidence is a link starting with https://" in error_text(refused)
    assert 'value="javascript:alert(1)"' in refused.get_data(as_text=True)
    refused = people.bo.submit("/projects/dryer/work", {"hours": "25", "category": "care",
                                                        "description": "night shift",
                                                        "date": "2026-03-01"})
    assert refused.status_code == 422 and "a day has 24" in error_text(refused)
    assert "night shift</textarea>" in refused.get_data(as_text=True)
    refused = ada.submit("/projects/dryer/ledger/1/correct", {"reason": "typo", "quantity": ""})
    assert refused.status_code == 422 and "at least one amount" in error_text(refused)
    assert head(app) == 1


def test_an_evidence_file_over_the_limit_writes_nothing(make_app, clock):
    app = make_app(CLOCK=clock, EVIDENCE_MAX_BYTES=1024)
    people = people_of(app)
    add_need(people.ada)
    store = Path(app.config["EVIDENCE_DIR"])

    def files():
        return sorted(p for p in store.rglob("*") if p.is_file()) if store.exists() else []

    big = on_input(people.ada, "receipt", {
        "quantity": "1", "provider": "shop",
        "evidence_file": (io.BytesIO(b"x" * 2000), "scan.pdf", "application/pdf")})
    assert big.status_code == 422
    assert "The evidence file is larger than 1 KiB" in error_text(big)
    assert 'value="shop"' in big.get_data(as_text=True)
    huge = on_input(people.ada, "receipt", {
        "quantity": "1", "provider": "shop",
        "evidence_file": (io.BytesIO(b"x" * 200_000), "scan.pdf", "application/pdf")})
    assert huge.status_code == 413 and "larger than 1 KiB" in error_text(huge)
    # A file within the limit on a receipt that is refused is not kept either.
    refused = on_input(people.ada, "receipt", {
        "quantity": "0", "provider": "shop",
        "evidence_file": (io.BytesIO(b"small scan"), "scan.txt", "text/plain")})
    assert refused.status_code == 422 and "more than zero" in error_text(refused)
    assert files() == [] and head(app) == 1
    # The same file on a good receipt is kept, and served as plain text.
    kept = on_input(people.ada, "receipt", {
        "quantity": "1", "provider": "shop",
        "evidence_file": (io.BytesIO(b"small scan"), "scan.txt", "text/plain")})
    assert kept.status_code == 302 and len(files()) == 1 and head(app) == 2


def test_evidence_is_served_only_for_a_receipt_of_that_project(app, people):
    add_need(people.ada)
    on_input(people.ada, "receipt", {
        "quantity": "1", "provider": "shop",
        "evidence_file": (io.BytesIO(b"<html><script>alert(1)</script>"), "x.html",
                          "text/html")})
    digest = hashlib.sha256(b"<html><script>alert(1)</script>").hexdigest()
    served = people.anon.client.get(f"/projects/dryer/evidence/{digest}")
    assert served.status_code == 200 and served.mimetype == "application/octet-stream"
    served.close()
    people.ada.create_project(name="Other", slug="other")
    assert people.anon.client.get(f"/projects/other/evidence/{digest}").status_code == 404
    assert people.anon.client.get("/projects/dryer/evidence/" + "0" * 64).status_code == 404
    assert people.anon.client.get("/projects/dryer/evidence/../../etc").status_code == 404
    assert people.anon.client.get("/projects/dryer/evidence/ABC").status_code == 404


def test_member_forms_are_refused_to_others_with_a_reason(app, people):
    add_need(people.ada)
    cy = people.cy
    refused = cy.client.get("/projects/dryer/inputs/new")
    assert refused.status_code == 403
    assert "Only members of Dryer record what it needs" in error_text(refused)
    anonymous = people.anon.client.get("/projects/dryer/inputs/new")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
    page = html_of(cy, "/projects/dryer/inputs/1")
    assert 'id="pledge-form"' in page and 'id="receipt-form"' not in page
    for form, data in (("receipt", {"quantity": "1", "provider": "me"}),
                       ("consumption", {"quantity": "1", "purpose": "mine"}),
                       ("close", {"reason": "mine now"})):
        response = on_input(cy, form, data)
        assert response.status_code == 403, form
        assert "Members of Dryer" in error_text(response)
    response = cy.submit("/projects/dryer/work", {"hours": "1", "category": "care",
                                                  "description": "cleaning"})
    assert response.status_code == 403 and "Members of Dryer log work" in error_text(response)
    assert cy.client.get("/projects/dryer/ledger/1/correct").status_code == 403
    assert head(app) == 1
    # cy may correct cy's own entry, and sees the Correct link only there.
    on_input(cy, "pledge", {"quantity": "2"})
    journal = html_of(cy, "/projects/dryer/ledger/journal")
    assert journal.count(">Correct</a>") == 1 and "/ledger/2/correct" in journal
    fixed = cy.submit("/projects/dryer/ledger/2/correct", {"quantity": "-1", "reason": "less"})
    assert fixed.status_code == 302
    assert "Entry #3 corrects entry #2" in html_of(cy, "/projects/dryer/ledger/journal")


def test_a_form_without_its_csrf_token_is_refused(app, people):
    add_need(people.ada)
    response = people.cy.client.post("/projects/dryer/inputs/1/pledges",
                                     data={"pledge-quantity": "1"})
    assert response.status_code == 400 and "security token" in error_text(response)
    response = people.ada.client.post("/projects/dryer/inputs/new",
                                      data={"title": "x", "kind": "material", "quantity": "1",
                                            "unit": "kg"})
    assert response.status_code == 400
    assert head(app) == 1


# ---------------------------------------------------------------- reading

def test_every_page_reads_without_an_account(app, people, clock):
    anon = people.anon
    assert "No project has an open need" in html_of(anon, "/needs")
    assert "The journal is empty" in html_of(anon, "/projects/dryer/ledger/journal")
    add_need(people.ada)
    on_input(people.cy, "pledge", {"quantity": "1"})
    people.bo.submit("/projects/dryer/work", {"hours": "2.5", "category": "care",
                                              "description": "cleaned the workshop",
                                              "date": "2026-03-01"})
    for url in ("/projects/dryer/ledger", "/projects/dryer/inputs/1", "/projects/dryer/work",
                "/projects/dryer/ledger/journal", "/projects/dryer/ledger/journal?before=2",
                "/needs"):
        page = html_of(anon, url)
        # Scripts only from files (progressive comforts), never inline.
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
    work = html_of(anon, "/projects/dryer/work")
    assert "cleaned the workshop" in work and "Care (cleaning, cooking, support)" in work
    assert "Log in</a> and join Dryer" in work and 'id="work-form"' not in work
    assert "Log in</a> to pledge" in html_of(anon, "/projects/dryer/inputs/1")
    for url in ("/projects/nope/ledger", "/projects/dryer/inputs/9", "/projects/dryer/inputs/0",
                "/projects/dryer/inputs/99999999999"):
        assert anon.client.get(url).status_code == 404, url
    assert anon.client.get("/projects/dryer/ledger/1/correct").status_code == 302


def test_the_journal_pages_by_cursor(app, people, clock):
    add_need(people.ada)
    with app.app_context():
        project = projects.get_project(db.session, "dryer")
        ada = project.members[0]
        for _ in range(54):
            services.log_work(db.session, project, ada, "0.25", "routine", "sorted screws",
                              now=clock())
        db.session.commit()
    page = html_of(people.anon, "/projects/dryer/ledger/journal")
    seqs = [int(s) for s in re.findall(r'<li id="entry-(\d+)">', page)]
    assert seqs == list(range(55, 5, -1))
    assert 'href="/projects/dryer/ledger/journal?before=6">Next page' in page
    page = html_of(people.anon, "/projects/dryer/ledger/journal?before=6")
    assert [int(s) for s in re.findall(r'<li id="entry-(\d+)">', page)] == [5, 4, 3, 2, 1]
    assert "Next page" not in page
    assert "ada worked 0.25 hours on 2026-03-01 (routine): sorted screws" in page
    with app.app_context():
        first = db.session.scalar(db.select(LedgerEntry).where(LedgerEntry.seq == 1))
    assert f'title="{first.hash}"' in page
    assert 'title="' + "0" * 64 + '"' in page
    # A cursor that is not a sequence number reads the newest page.
    assert "entry-55" in html_of(people.anon, "/projects/dryer/ledger/journal?before=abc")


def test_the_needs_board_groups_one_resource_across_projects(app, people):
    add_need(people.ada, title="PLA filament")
    add_need(people.ada, title="Plywood 12 mm", quantity="3", unit="m2", unit_cost="",
             currency="")
    people.bo.create_project(name="Greenhouse", slug="greenhouse")
    add_need(people.bo, slug="greenhouse", title="pla  Filament!", quantity="2",
             needed_by="2026-03-15")
    board = html_of(people.anon, "/needs")
    sections = re.findall(r'<section class="resource".*?</section>', board, re.S)
    assert len(sections) == 2
    shared, alone = sections
    assert "2 projects need this: what one of them gets, the others wait for." in shared
    assert "Together they still need 22 kg." in shared
    assert [unescape(t) for t in re.findall(r'/inputs/\d+">(#\d+ [^<]+)</a>', shared)] == \
        ["#1 pla  Filament!", "#1 PLA filament"]  # the earliest date first
    assert 'href="/projects/greenhouse/ledger">Greenhouse</a>' in shared
    assert "20 kg" in shared and "2 kg" in shared
    assert "Plywood 12 mm" in alone and "1 project needs this." in alone
    assert "3 m2" in alone
    # Each need has a progress bar; kg share one scale across the projects.
    assert "0 of 2 kg received, 0 kg pledged" in shared
    assert re.findall(r'<rect class="track" x="0" y="1" width="([\d.]+)%"', shared) == \
        ["10.0", "100.0"]
    assert "Pledged, not yet received (striped)" in board  # the legend


def test_user_text_is_escaped_everywhere_the_svg_included(app, people):
    evil = '<script>alert("x")</script><svg onload=alert(1)>'
    assert add_need(people.ada, title=evil, description=evil).status_code == 302
    on_input(people.cy, "pledge", {"quantity": "1", "note": evil})
    on_input(people.ada, "receipt", {"quantity": "1", "provider": evil,
                                     "evidence_file": (io.BytesIO(b"x"), evil, "text/plain")})
    for url in ("/projects/dryer/ledger", "/projects/dryer/inputs/1",
                "/projects/dryer/ledger/journal", "/needs", "/projects/dryer/ledger/1/correct"):
        page = html_of(people.ada, url)
        assert "<script>alert" not in page and "<svg onload" not in page, url
        assert "&lt;script&gt;alert(" in page, url
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html_of(people.anon,
                                                              "/projects/dryer/ledger"),
                    re.S).group(0)
    assert "&lt;script&gt;" in svg and "<script" not in svg


def test_work_is_logged_by_members_with_a_category(app, people, clock):
    clock.advance(days=1)  # bo joined yesterday, 2026-03-01
    page = html_of(people.bo, "/projects/dryer/work")
    assert 'value="2026-03-02"' in page  # today, by the clock
    assert '<option value="care">Care (cleaning, cooking, support)</option>' in page
    logged = people.bo.submit("/projects/dryer/work", {
        "hours": "1.5", "category": "coordination", "description": "planned the build day",
        "date": "2026-03-01"})
    assert logged.status_code == 302
    page = html_of(people.bo, "/projects/dryer/work")
    assert "Logged 1.5 hours of coordination work." in page
    assert re.search(r"<strong>1.5 h</strong> Coordination: planned the build day\s*"
                     r'<span class="meta">bo · <time datetime="2026-03-01">', page)
    # Without an account there is no form, so nothing to send but a forgery.
    forged = people.anon.client.post("/projects/dryer/work", data={"hours": "1"})
    assert forged.status_code == 400
    assert head(app) == 1


def test_chart_bars_share_a_scale_per_unit_and_figures_stay_exact():
    def need(number, needed, pledged, received, title="PLA filament", unit="kg"):
        return SimpleNamespace(number=number, title=title, unit=unit, needed=Decimal(needed),
                               pledged=Decimal(pledged), received=Decimal(received))

    drawn = charts.layout([need(1, "20.000", "0.000", "25.000", title="x" * 60),
                           need(2, "1000", "1", "0", unit="EUR"),
                           need(3, "5", "2", "1")])
    first, second, third = drawn.rows
    # kg: the scale is the 25 kg that arrived for #1 (more than its 20 needed).
    assert (first.bar.track, first.bar.received_width, first.bar.pledged_width) == \
        (80.0, 100.0, 0.0)
    assert first.label == "x" * 47 + "…" and first.title == "x" * 60
    # #3, 5 kg, is drawn on the same scale as #1: a fifth of its length.
    assert (third.bar.track, third.bar.received_width, third.bar.pledged_x,
            third.bar.pledged_width) == (20.0, 4.0, 4.0, 8.0)
    # EUR is on its own scale; a sliver stays visible.
    assert (second.bar.track, second.bar.received_width, second.bar.pledged_width) == \
        (100.0, 0.0, 0.5)
    assert second.bar_y > first.text_y and third.bar_y > second.text_y  # rows never overlap
    assert third.text_y <= drawn.height < third.text_y + 14
    assert [bar.done for bar in (first.bar, second.bar, third.bar)] == [100, 0, 20]
    assert charts.scales([need(1, "2", "9", "3"), need(2, "10", "0", "0", unit="h")]) == {
        "kg": Decimal(12), "h": Decimal(10)}
    many = charts.layout([need(n, "1", "0", "0") for n in range(1, 53)])
    assert (len(many.rows), many.omitted) == (20, 32)
    assert charts.layout([]).empty
    assert [charts.figure(Decimal(v), unit) for v, unit in (
        ("20.000", "kg"), ("1.250", "kg"), ("0.000", "kg"), ("490", "EUR"), ("5", "JPY"),
        ("1.5", "BHD"), ("-0.50", None), ("100", None))] == \
        ["20", "1.25", "0", "490.00", "5", "1.500", "-0.5", "100"]


def test_the_ledger_page_shows_inputs_a_page_at_a_time(app, people):
    from commons.ledger import views
    for n in range(views.INPUTS_PER_PAGE + 3):
        assert add_need(people.ada, title=f"Part {n + 1}").status_code == 302
    first = people.anon.client.get("/projects/dryer/ledger").get_data(as_text=True)
    assert f"#{views.INPUTS_PER_PAGE} Part {views.INPUTS_PER_PAGE}</a>" in first
    assert f"#{views.INPUTS_PER_PAGE + 1} Part {views.INPUTS_PER_PAGE + 1}</a>" not in first
    assert f"after={views.INPUTS_PER_PAGE}" in first  # the next page's link
    assert "33 more are in the table below" in first  # the chart draws the first 20
    second = people.anon.client.get(
        f"/projects/dryer/ledger?after={views.INPUTS_PER_PAGE}").get_data(as_text=True)
    assert f"#{views.INPUTS_PER_PAGE + 3} Part {views.INPUTS_PER_PAGE + 3}</a>" in second
    assert "#1 Part 1</a>" not in second
    # The totals are over every input, on every page: 53 × 20 kg × 2.50 EUR.
    assert "2650.00" in first and "2650.00" in second


def test_work_from_long_ago_comes_back_filled_in_with_what_to_do(app, people, clock):
    """Year 1 used to be accepted, an empty day that beat the 24 hours cap."""
    clock.advance(days=100)  # 2026-06-09; bo joined on 2026-03-01
    assert people.bo.login("bo").status_code == 302  # the old session has expired
    for day, says in [("0001-01-01", "before you joined the project on 2026-03-01"),
                      ("2026-04-09", "Hours older than 60 days are recorded as a correction "
                                     "of the ledger")]:
        refused = people.bo.submit("/projects/dryer/work", {
            "hours": "24", "category": "care", "description": "a very long shift",
            "date": day})
        assert refused.status_code == 422 and says in error_text(refused)
        html = refused.get_data(as_text=True)
        assert f'value="{day}"' in html and "a very long shift</textarea>" in html
        assert 'value="24"' in html
    assert head(app) == 0
    assert people.bo.submit("/projects/dryer/work", {
        "hours": "24", "category": "care", "description": "a very long shift",
        "date": "2026-04-10"}).status_code == 302
    assert head(app) == 1


def board_needs(html: str) -> list[str]:
    return [unescape(link) for link in re.findall(
        r'<td><a href="(/projects/[^"]+/inputs/\d+)">', html)]


def test_the_needs_board_pages_every_need_once_in_board_order(app, people, monkeypatch):
    add_need(people.ada, title="Plywood 12 mm", quantity="3", unit="m2", unit_cost="",
             currency="")
    for title in ("PLA filament", "Screws", "Glue", "Hinges"):
        add_need(people.ada, title=title)
    people.bo.create_project(name="Greenhouse", slug="greenhouse")
    add_need(people.bo, slug="greenhouse", title="pla  Filament!", quantity="2",
             needed_by="2026-03-15")
    whole = html_of(people.anon, "/needs")
    order = board_needs(whole)
    assert len(order) == 6 and 'rel="next"' not in whole
    assert order[:2] == ["/projects/greenhouse/inputs/1", "/projects/dryer/inputs/2"]
    assert "6 open needs for 5 resources." in whole
    monkeypatch.setattr("commons.ledger.board.PER_PAGE", 4)
    seen, pages, url = [], [], "/needs"
    while url:
        page = html_of(people.anon, url)
        pages.append(page)
        seen += board_needs(page)
        found = re.search(r'<a href="([^"]+)" rel="next">Next</a>', page)
        url = unescape(found.group(1)) if found else None
    assert seen == order  # each once, in the same order
    assert len(pages) == 2 and "6 open needs for 5 resources, 4 on this page." in pages[0]
    assert 'href="/needs">First page</a>' in pages[1]
    # What spans pages counts the whole board: both kg needs share one scale.
    assert "2 projects need this" in pages[0] and "Together they still need 22 kg." in pages[0]
    # Made up, or well formed but holding no date or an integer past 64 bits.
    for cursor in ("bm9wZQ", paging.encode([-1, "x", "not a day", 1]),
                   paging.encode([-1, "x", "2026-01-01", 2**70])):
        bad = people.anon.client.get(f"/needs?cursor={cursor}")
        assert bad.status_code == 400, cursor
        assert "The cursor is not one this list gave out" in bad.get_data(as_text=True)
