"""The ledger through the JSON API: every endpoint's happy path, and each
bad input answered with a clear message and nothing written (the head's
seq unchanged)."""

import hashlib
import io
from itertools import pairwise

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.ledger import rules
from tests.conftest import bearer, worker_decides
from tests.ledger.conftest import Ledger

FILAMENT = {"title": "PLA filament", "kind": "material", "quantity": "20", "unit": "kg",
            "unit_cost": "2.50", "currency": "EUR", "needed_by": "2026-04-01",
            "description": "1.75 mm, any colour"}


class Api:
    """The test client as ada, bo (members), cy (not a member) or nobody."""

    def __init__(self, app, tokens):
        self.app, self.tokens = app, tokens
        self.client = app.test_client()

    def post(self, path: str, who: str | None = None, **kwargs):
        headers = bearer(self.tokens[who]) if who else {}
        return self.client.post(f"/api/v1/projects/dryer{path}", headers=headers, **kwargs)

    def get(self, path: str):
        return self.client.get(f"/api/v1/projects/dryer{path}")

    def ok(self, path: str, who: str, body: dict | None = None) -> dict:
        response = self.post(path, who, json=body if body is not None else {})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def head(self) -> int:
        return self.get("/ledger?limit=1").get_json()["head"]["seq"]

    def refused(self, path: str, who: str | None, status: int, message: str, *,
                field: str | None = None, **kwargs) -> dict:
        """POST, expect a refusal that says *message*, and check nothing
        was written."""
        before = self.head()
        response = self.post(path, who, **kwargs)
        body = response.get_json()
        assert response.status_code == status, body
        assert message in body["error"], body
        if field is not None:
            assert body.get("field") == field, body
        assert self.head() == before
        return body


@pytest.fixture
def api(make_app, clock):
    """ada and bo are members of "dryer" (approval threshold 100 EUR); cy is
    not. Requests run in their own app context, as in production."""
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        world = Ledger(app, clock)
        tokens = {name: accounts.create_token(db.session, getattr(world, name), "tests",
                                              now=app_clock.now())[1]
                  for name in ("ada", "bo", "cy")}
        db.session.commit()
    return Api(app, tokens)


def document_hash(entry: dict, prev: str) -> str:
    return rules.chain(prev, rules.canonical({
        "project": "dryer", "seq": entry["seq"], "at": entry["at"], "actor": entry["actor"],
        "action": entry["action"], "data": entry["data"]}))


def test_a_need_is_recorded_with_its_balances_and_its_entry(api):
    created = api.ok("/inputs", "ada", FILAMENT)
    entry = created.pop("entry")
    assert created == {
        "number": 1, "seq": 1, "title": "PLA filament", "kind": "material",
        "description": "1.75 mm, any colour", "unit": "kg", "needed": "20.000",
        "pledged": "0.000", "received": "0.000", "consumed": "0.000",
        "still_needed": "20.000", "status": "approved", "open": True, "approved": True, "closed": False,
        "unit_cost": "2.50", "currency": "EUR",
        "estimated_total": {"amount": "50.00", "currency": "EUR"},
        "needed_by": "2026-04-01", "pledges": [], "proposal": None,
        "recurs": None, "starts": None, "per_month": None, "covered_through": None,
        "months_ahead": None, "coverage": None,
        "web_url": "http://commons.test/projects/dryer/inputs/1"}
    assert (entry["seq"], entry["action"], entry["actor"], entry["input"]) == \
        (1, "need", "ada", 1)
    assert entry["prev_hash"] == rules.GENESIS
    assert entry["hash"] == document_hash(entry, rules.GENESIS)
    assert entry["data"]["quantity"] == "20.000" and entry["data"]["unit_cost"] == "2.50"
    assert api.get("/inputs/1").get_json() == created
    listed = {key: value for key, value in created.items() if key not in ("pledges", "entry")}
    assert api.get("/inputs").get_json() == [listed]
    assert api.get("/inputs/2").status_code == 404


def test_a_pending_input_names_the_proposal_deciding_it(api, clock):
    created = api.ok("/inputs", "ada", {**FILAMENT, "unit_cost": "24.50"})  # 490 EUR
    assert (created["status"], created["proposal"]) == ("pending", 1)
    proposal = api.client.get("/api/v1/projects/dryer/proposals/1").get_json()
    assert (proposal["kind"], proposal["details"]) == ("input", {"input": 1})
    clock.advance(days=4)
    worker_decides(api.app)  # the worker decides at the close: it passed, approving it
    decided = api.get("/inputs/1").get_json()
    assert (decided["status"], decided["proposal"]) == ("approved", None)
    assert api.get("/ledger").get_json()["entries"][0]["action"] == "approve"


def test_pledge_receipt_use_withdrawal_and_close(api):
    api.ok("/inputs", "ada", FILAMENT)
    pledged = api.ok("/inputs/1/pledges", "cy", {"quantity": "5", "note": "a spool"})
    assert (pledged["seq"], pledged["action"], pledged["data"]["pledger"]) == (2, "pledge", "cy")
    assert pledged["balance"]["pledges"] == [{
        "seq": 2, "pledger": "cy", "quantity": "5.000", "received": "0.000",
        "outstanding": "5.000", "withdrawn": False, "note": "a spool"}]
    assert (pledged["balance"]["pledged"], pledged["balance"]["still_needed"]) == \
        ("5.000", "15.000")
    received = api.ok("/inputs/1/receipts", "bo", {
        "quantity": 5, "pledge": 2, "evidence_url": "https://example.org/receipt.jpg",
        "date": "2026-02-28"})
    assert (received["data"]["provider"], received["data"]["pledge"],
            received["data"]["date"]) == ("cy", 2, "2026-02-28")
    assert (received["balance"]["received"], received["balance"]["pledged"]) == \
        ("5.000", "0.000")
    again = api.ok("/inputs/1/pledges", "cy", {"quantity": "3"})
    withdrawn = api.ok(f"/pledges/{again['seq']}/withdrawal", "cy")
    assert (withdrawn["action"], withdrawn["data"]) == ("withdraw", {"input": 1, "pledge": 4})
    assert withdrawn["balance"]["pledges"][1]["withdrawn"] is True
    used = api.ok("/inputs/1/consumptions", "bo", {
        "quantity": "1.25", "purpose": "first prototype", "commit": "abc1234", "proposal": 1})
    assert (used["data"]["quantity"], used["data"]["commit"], used["data"]["proposal"]) == \
        ("1.250", "abc1234", 1)
    assert used["balance"]["consumed"] == "1.250"
    closed = api.ok("/inputs/1/close", "ada", {"reason": "We have enough."})
    assert (closed["action"], closed["balance"]["status"]) == ("close", "closed")
    api.refused("/inputs/1/pledges", "cy", 409, "is closed", json={"quantity": "1"})
    api.refused("/inputs/1/receipts", "bo", 409, "is closed",
                json={"quantity": "1", "provider": "shop"})
    # Every answer chained to the one before it.
    entries = api.get("/ledger").get_json()["entries"][::-1]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    for previous, entry in pairwise(entries):
        assert entry["prev_hash"] == previous["hash"] == document_hash(previous,
                                                                        previous["prev_hash"])
    assert closed["hash"] == entries[-1]["hash"]


def test_work_and_corrections(api):
    api.ok("/inputs", "ada", FILAMENT)
    work = api.ok("/work", "bo", {"hours": "2.5", "category": "care",
                                  "description": "Cleaned the workshop", "date": "2026-03-01"})
    assert (work["seq"], work["action"], work["balance"]) == (2, "work", None)
    assert work["data"] == {"worker": "bo", "hours": "2.50", "category": "care",
                            "description": "Cleaned the workshop", "date": "2026-03-01"}
    fewer = api.ok("/ledger/2/corrections", "bo", {"reason": "It was two hours.",
                                                   "hours": "-0.5"})
    assert (fewer["action"], fewer["data"]["deltas"], fewer["data"]["corrects"]) == \
        ("correct", {"hours": "-0.50"}, 2)
    need = api.ok("/ledger/1/corrections", "ada", {"reason": "Miscounted", "quantity": "-1.5",
                                                   "unit_cost": "0.10"})
    assert need["data"]["deltas"] == {"quantity": "-1.500", "unit_cost": "0.10"}
    assert (need["balance"]["needed"], need["balance"]["unit_cost"]) == ("18.500", "2.60")
    api.refused("/ledger/99/corrections", "ada", 404, "has no entry #99",
                json={"reason": "x", "quantity": "1"})
    api.refused("/ledger/3/corrections", "ada", 422, "is itself a correction",
                json={"reason": "x", "hours": "1"})
    api.refused("/ledger/2/corrections", "bo", 422, "not quantity", field="quantity",
                json={"reason": "x", "quantity": "1"})
    api.refused("/ledger/2/corrections", "bo", 422, "Give the signed change",
                json={"reason": "x"})
    api.refused("/ledger/2/corrections", "bo", 422, "Missing data", json={"hours": "1"})
    api.refused("/work", "bo", 422, "a day has 24", field="hours", json={
        "hours": "22.5", "category": "care", "description": "x", "date": "2026-03-01"})
    api.refused("/work", "bo", 422, "in the future", field="date", json={
        "hours": "1", "category": "care", "description": "x", "date": "2026-03-02"})
    api.refused("/work", "bo", 422, "Category is one of", field="category", json={
        "hours": "1", "category": "fun", "description": "x"})


def test_work_from_before_joining_or_long_ago_is_refused(api, clock):
    """A far past day is empty, so it used to beat the 24 hours a day cap."""
    clock.advance(days=90)  # 2026-05-30; bo joined on 2026-03-01
    body = api.refused("/work", "bo", 422, "before you joined the project on 2026-03-01",
                       field="date", json={"hours": "24", "category": "care",
                                           "description": "x", "date": "0001-01-01"})
    assert set(body) >= {"error"}
    api.refused("/work", "bo", 422, "Hours older than 60 days are recorded as a correction",
                field="date", json={"hours": "24", "category": "care", "description": "x",
                                    "date": "2026-03-30"})
    api.ok("/work", "bo", {"hours": "24", "category": "care", "description": "x",
                           "date": "2026-03-31"})


def test_how_far_back_work_is_logged_is_configured(make_app, clock):
    app = make_app(CLOCK=clock, WORK_MAX_DAYS_BACK=5)
    with app.app_context():
        world = Ledger(app, clock)
        token = accounts.create_token(db.session, world.bo, "tests", now=app_clock.now())[1]
        db.session.commit()
    clock.advance(days=10)
    api = Api(app, {"bo": token})
    api.refused("/work", "bo", 422, "Hours older than 5 days", field="date",
                json={"hours": "1", "category": "care", "description": "x",
                      "date": "2026-03-05"})
    api.ok("/work", "bo", {"hours": "1", "category": "care", "description": "x",
                           "date": "2026-03-06"})


BAD_QUANTITIES = [
    ("0", "more than zero"),
    ("-1", "more than zero"),
    (1.5, "must be a string or an integer"),
    (True, "is a number written as a string"),
    ("1.0001", "at most 3 decimal places"),
    ("1e3", "plain decimal number"),
    ("NaN", "plain decimal number"),
    ("Infinity", "plain decimal number"),
    (10 ** 18, "too large"),
]


def test_bad_quantities_are_refused(api):
    api.ok("/inputs", "ada", FILAMENT)
    for quantity, message in BAD_QUANTITIES:
        api.refused("/inputs/1/pledges", "cy", 422, message, field="quantity",
                    json={"quantity": quantity})


def test_json_floats_nan_and_infinity_never_reach_the_ledger(api):
    """Python's JSON reader turns NaN, Infinity and 1e400 into floats; they
    are refused like any other float, on every amount."""
    api.ok("/inputs", "ada", FILAMENT)
    for raw in ["1.5", "NaN", "Infinity", "-Infinity", "1e400", "2.0"]:
        refuse_float(api, raw)


def refuse_float(api, raw: str) -> None:
    message = "must be a string or an integer"
    cases = [
        ("/inputs/1/pledges", "cy", f'{{"quantity": {raw}}}', "quantity"),
        ("/inputs/1/receipts", "bo", f'{{"quantity": {raw}, "provider": "shop"}}', "quantity"),
        ("/inputs", "ada", f'{{"title": "x", "kind": "material", "quantity": "1", '
                           f'"unit": "kg", "unit_cost": {raw}, "currency": "EUR"}}', "unit_cost"),
        ("/work", "bo", f'{{"hours": {raw}, "category": "care", "description": "x"}}', "hours"),
        ("/ledger/1/corrections", "ada", f'{{"reason": "x", "quantity": {raw}}}', "quantity"),
    ]
    for path, who, body, field in cases:
        api.refused(path, who, 422, message, field=field, data=body,
                    content_type="application/json")


BAD_NEEDS = [
    ({"unit_cost": "2.505"}, "EUR has at most 2 decimal places", "unit_cost"),
    ({"unit": "furlong"}, "is not a unit", "unit"),
    ({"currency": "XYZ"}, "not an ISO 4217 currency", "currency"),
    ({"quantity": "20.0001"}, "at most 3 decimal places", "quantity"),
    ({"quantity": "-20"}, "more than zero", "quantity"),
    ({"unit_cost": "1200.5", "currency": "JPY"}, "JPY has at most 0 decimal places",
     "unit_cost"),
    ({"kind": "money", "unit": "BHD", "quantity": "10.0005", "unit_cost": None,
      "currency": None}, "at most 3 decimal places", "quantity"),
    ({"kind": "vibes"}, "Kind is one of", "kind"),
    ({"needed_by": "soon"}, "YYYY-MM-DD", "needed_by"),
    ({"title": "   "}, "Title is required", "title"),
]


def test_bad_needs_are_refused(api):
    for fields, message, field in BAD_NEEDS:
        api.refused("/inputs", "ada", 422, message, field=field, json={**FILAMENT, **fields})


def test_unknown_and_missing_fields_are_named(api):
    body = api.refused("/inputs", "ada", 422, "colour: Unknown field",
                       json={**FILAMENT, "colour": "red"})
    assert body["errors"] == {"colour": "Unknown field."}
    api.refused("/inputs", "ada", 422, "quantity: Missing data",
                json={k: v for k, v in FILAMENT.items() if k != "quantity"})
    api.refused("/inputs", "ada", 422, "title: Not a valid string", json={**FILAMENT, "title": 7})
    api.refused("/inputs", "ada", 400, "Invalid JSON", data="{nope",
                content_type="application/json")


def test_who_may_write(api):
    api.ok("/inputs", "ada", FILAMENT)
    writes = [("/inputs", FILAMENT), ("/inputs/1/pledges", {"quantity": "1"}),
              ("/inputs/1/receipts", {"quantity": "1", "provider": "shop"}),
              ("/inputs/1/consumptions", {"quantity": "1", "purpose": "x"}),
              ("/inputs/1/close", {"reason": "x"}), ("/pledges/2/withdrawal", {}),
              ("/ledger/1/corrections", {"reason": "x", "quantity": "1"}),
              ("/work", {"hours": "1", "category": "care", "description": "x"}),
              ("/evidence", None)]
    for path, body in writes:
        response = api.post(path, json=body)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "needs a token" in response.get_json()["error"]
    outsider = [("/inputs", FILAMENT, "record what the project needs"),
                ("/inputs/1/receipts", {"quantity": "1", "provider": "shop"},
                 "record what arrived"),
                ("/inputs/1/consumptions", {"quantity": "1", "purpose": "x"},
                 "record what was used"),
                ("/inputs/1/close", {"reason": "x"}, "close needs"),
                ("/work", {"hours": "1", "category": "care", "description": "x"}, "log work"),
                ("/ledger/1/corrections", {"reason": "x", "quantity": "1"},
                 "correct entries, and anyone their own")]
    for path, body, message in outsider:
        api.refused(path, "cy", 403, message, json=body)
    api.refused("/evidence", "cy", 403, "upload evidence", data=b"x",
                content_type="image/png")
    # Anyone with an account pledges, and corrects or withdraws their own.
    api.ok("/inputs/1/pledges", "cy", {"quantity": "2"})
    api.ok("/ledger/2/corrections", "cy", {"reason": "Only one spool", "quantity": "-1"})
    api.refused("/pledges/2/withdrawal", "bo", 403, "Only the person who pledged")
    api.ok("/pledges/2/withdrawal", "cy")
    api.refused("/pledges/2/withdrawal", "cy", 409, "withdrawn already")
    api.refused("/pledges/9/withdrawal", "cy", 404, "no pledge #9")


def test_bounds_on_pledges_and_use(api):
    api.ok("/inputs", "ada", FILAMENT)
    api.refused("/inputs/1/pledges", "cy", 422, "Only 20 kg", json={"quantity": "21"})
    api.refused("/inputs/1/consumptions", "bo", 422, "Record the receipt first",
                json={"quantity": "1", "purpose": "x"})
    api.refused("/inputs/1/receipts", "bo", 422, "Name who provided it", field="provider",
                json={"quantity": "1"})
    api.refused("/inputs/1/receipts", "bo", 422, "has no pledge #7", field="pledge",
                json={"quantity": "1", "pledge": 7})
    api.refused("/inputs/1/receipts", "bo", 422, "starting with https://",
                field="evidence_url",
                json={"quantity": "1", "provider": "shop", "evidence_url": "javascript:x"})
    api.refused("/inputs/9/pledges", "cy", 404, "has no input #9", json={"quantity": "1"})
    assert api.post("/inputs/1/pledges", "cy", json={"quantity": "1"},
                    ).status_code == 201


def test_the_journal_pages_newest_first_by_cursor(api):
    api.ok("/inputs", "ada", FILAMENT)
    for _ in range(5):
        api.ok("/inputs/1/pledges", "cy", {"quantity": "1"})
    first = api.get("/ledger?limit=2").get_json()
    assert [e["seq"] for e in first["entries"]] == [6, 5]
    assert first["head"] == {"seq": 6, "hash": first["entries"][0]["hash"]}
    assert first["project"] == "dryer"
    assert first["next"] == "http://commons.test/api/v1/projects/dryer/ledger?before=5&limit=2"
    second = api.client.get(first["next"]).get_json()
    assert [e["seq"] for e in second["entries"]] == [4, 3]
    third = api.client.get(second["next"]).get_json()
    assert [e["seq"] for e in third["entries"]] == [2, 1] and third["next"] is None
    everything = first["entries"] + second["entries"] + third["entries"]
    for newer, older in pairwise(everything):
        assert newer["prev_hash"] == older["hash"]
    assert api.get("/ledger").get_json()["next"] is None
    for query in ("limit=0", "limit=501", "before=0", "before=x"):
        response = api.get(f"/ledger?{query}")
        assert response.status_code == 422, query
    assert api.get("/ledger?limit=500&utm_source=x").status_code == 200
    assert api.client.get("/api/v1/projects/nope/ledger").status_code == 404


def test_evidence_files_through_the_api(api):
    api.ok("/inputs", "ada", FILAMENT)
    photo = b"\xff\xd8\xff" + b"receipt" * 100
    uploaded = api.post("/evidence?name=receipt.jpg", "bo", data=photo, content_type="image/jpeg")
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json() == {"sha256": hashlib.sha256(photo).hexdigest(),
                                   "size": len(photo), "name": "receipt.jpg",
                                   "type": "image/jpeg"}
    sha256 = uploaded.get_json()["sha256"]
    received = api.ok("/inputs/1/receipts", "bo", {
        "quantity": "2", "provider": "Filament shop", "evidence_sha256": sha256,
        "evidence_name": "receipt.jpg", "evidence_type": "image/jpeg"})
    assert received["data"]["evidence"] == {"sha256": sha256, "size": len(photo),
                                            "name": "receipt.jpg", "type": "image/jpeg"}
    api.refused("/inputs/1/receipts", "bo", 422, "Upload it first", field="evidence_sha256",
                json={"quantity": "1", "provider": "shop", "evidence_sha256": "0" * 64})
    api.refused("/inputs/1/receipts", "bo", 422, "media type", field="evidence_type",
                json={"quantity": "1", "provider": "shop", "evidence_sha256": sha256,
                      "evidence_type": "text/html; x"})
    # Larger than the app's 1 MiB request limit, within the evidence limit.
    scan = b"%PDF" + b"\0" * (1536 * 1024)
    big = api.post("/evidence?name=scan.pdf", "bo", data=scan, content_type="application/pdf")
    assert big.status_code == 201, big.get_json()
    assert big.get_json()["size"] == len(scan)


def stored_files(app) -> set[str]:
    from pathlib import Path
    root = Path(app.config["EVIDENCE_DIR"])
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_evidence_over_the_limit_is_refused_and_not_kept(make_app, clock):
    app = make_app(CLOCK=clock, EVIDENCE_MAX_BYTES=1000)
    with app.app_context():
        world = Ledger(app, clock)
        token = accounts.create_token(db.session, world.bo, "tests", now=app_clock.now())[1]
        db.session.commit()
    client = app.test_client()
    url = "/api/v1/projects/dryer/evidence"
    response = client.post(url, data=b"x" * 1001, content_type="image/png",
                           headers=bearer(token))
    assert response.status_code == 422
    assert "evidence file is larger than" in response.get_json()["error"]
    assert response.get_json()["field"] == "evidence_file"
    # A body without a length (chunked) is cut off as it streams in.
    chunked = client.post(url, input_stream=io.BytesIO(b"y" * 5000), content_type="image/png",
                          headers=bearer(token), environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 422 and chunked.get_json()["field"] == "evidence_file"
    empty = client.post(url, data=b"", content_type="image/png", headers=bearer(token))
    assert empty.status_code == 422 and "empty" in empty.get_json()["error"]
    form = client.post(url, data={"file": "x"}, headers=bearer(token))
    assert form.status_code == 422 and "not as a form" in form.get_json()["error"]
    assert stored_files(app) == set()
    fits = client.post(url, data=b"z" * 1000, content_type="image/png", headers=bearer(token))
    assert fits.status_code == 201 and stored_files(app) == {fits.get_json()["sha256"]}


def test_the_openapi_document_lists_the_ledger(api):
    document = api.client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    for path, method in [("/inputs", "get"), ("/inputs", "post"), ("/inputs/{number}", "get"),
                         ("/inputs/{number}/pledges", "post"),
                         ("/inputs/{number}/receipts", "post"),
                         ("/inputs/{number}/consumptions", "post"),
                         ("/inputs/{number}/close", "post"),
                         ("/pledges/{seq}/withdrawal", "post"),
                         ("/ledger/{seq}/corrections", "post"), ("/work", "post"),
                         ("/evidence", "post"), ("/ledger", "get"), ("/ledger.csv", "get"),
                         ("/inputs.csv", "get"), ("/ledger.json", "get"),
                         ("/ledger.jsonld", "get")]:
        assert method in paths[f"/api/v1/projects/{{slug}}{path}"], path
    quantity = document["components"]["schemas"]["PledgeCreate"]["properties"]["quantity"]
    assert quantity["type"] == "string" and "float is refused" in quantity["description"]
    jsonld = paths["/api/v1/projects/{slug}/ledger.jsonld"]["get"]["responses"]["200"]
    assert "application/ld+json" in jsonld["content"]


def test_the_inputs_list_comes_a_page_at_a_time(api):
    for n in range(5):
        api.ok("/inputs", "ada", {**FILAMENT, "title": f"Part {n + 1}"})
    first = api.get("/inputs?limit=2")
    assert [i["number"] for i in first.get_json()] == [1, 2]
    following = first.headers["Link"]
    assert following.startswith("<http://commons.test/api/v1/projects/dryer/inputs?")
    assert 'rel="next"' in following and "after=2" in following
    assert [i["number"] for i in api.get("/inputs?limit=2&after=2").get_json()] == [3, 4]
    last = api.get("/inputs?limit=2&after=4")
    assert [i["number"] for i in last.get_json()] == [5] and "Link" not in last.headers
    assert all("pledges" not in i for i in first.get_json())
