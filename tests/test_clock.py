"""Every time commons writes comes from the application's clock, never from
the machine's: with the clock set years ahead, every path that writes a
time (the pages, the API and the CLI) leaves only times from that clock in
the database and in the commits the platform makes itself."""

import base64
import subprocess
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from commons.extensions import db
from commons.types import UTCDateTime
from tests.conftest import TEST_PASSWORD, Browser

# Far enough ahead of any machine this suite runs on (the clock-ahead pass
# of .ci/run included) that a time read from the wall clock stands out.
START = datetime(2041, 5, 6, 7, 8, 9, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


def test_every_write_takes_its_time_from_the_application_clock(make_app, tmp_path):
    clock = Clock()
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test", DEFAULT_APPROVAL_THRESHOLD={
        "amount": "1000", "currency": "EUR"})
    ada, bo = Browser(app.test_client()), Browser(app.test_client())

    # Accounts and projects, through the pages.
    assert ada.register("ada").status_code == 302
    assert bo.register("bo").status_code == 302
    assert ada.submit("/settings", {"email": "ada@work.example"},
                      action="/settings/emails").status_code == 302
    assert ada.submit("/settings", {"name": "laptop", "expires_in_days": "30"},
                      action="/settings/tokens").status_code == 201
    assert ada.create_project(name="Dryer", slug="dryer", push="direct").status_code == 302
    assert bo.button("/projects/dryer", "/projects/dryer/join").status_code == 302

    # Governance, through the pages.
    clock.now += timedelta(minutes=1)
    assert ada.submit("/projects/dryer/proposals/new", {
        "kind": "decision", "title": "Paint it green", "body": "Green hides the dust."
    }).status_code == 302
    assert bo.submit("/projects/dryer/proposals/1", {"stance": "support", "reason": ""},
                     action="/projects/dryer/proposals/1/stance").status_code == 302
    assert bo.submit("/projects/dryer/proposals/1", {"body": "Fine by me."},
                     action="/projects/dryer/proposals/1/comments").status_code == 302

    # The ledger and the records, through the pages.
    assert ada.submit("/projects/dryer/inputs/new", {
        "title": "Plywood", "kind": "material", "quantity": "4", "unit": "m2",
        "unit_cost": "12", "currency": "EUR", "needed_by": "2041-06-01",
    }).status_code == 302
    assert bo.submit("/projects/dryer/inputs/1", {"pledge-quantity": "2", "pledge-note": ""},
                     action="/projects/dryer/inputs/1/pledges").status_code == 302
    assert ada.submit("/projects/dryer/inputs/1", {
        "receipt-quantity": "2", "receipt-provider": "bo", "receipt-date": "2041-05-06",
        "receipt-evidence_url": "https://example.org/receipt"},
        action="/projects/dryer/inputs/1/receipts").status_code == 302
    assert ada.submit("/projects/dryer/inputs/1", {
        "consumption-quantity": "1", "consumption-purpose": "The frame"},
        action="/projects/dryer/inputs/1/consumptions").status_code == 302
    assert bo.submit("/projects/dryer/work", {"hours": "2", "category": "care",
                                              "description": "Swept", "date": "2041-05-06"}
                     ).status_code == 302
    assert ada.submit("/projects/dryer/contributors", {
        "username": "bo", "kind": "design", "evidence_url": "https://example.org/d"},
        action="/projects/dryer/contributors/credits").status_code == 302
    assert ada.submit("/projects/dryer/ledger/2/correct", {
        "reason": "Miscounted", "quantity": "-1"}).status_code == 302

    # The same kinds of writes through the API.
    raw = base64.b64encode(f"bo:{TEST_PASSWORD}".encode()).decode()
    token = app.test_client().post("/api/v1/tokens", json={"name": "script"},
                                   headers={"Authorization": f"Basic {raw}"}).get_json()["token"]
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    clock.now += timedelta(minutes=1)
    for path, body in [
        ("/api/v1/projects", {"name": "Shed", "slug": "shed", "description": "",
                              "license": "MIT"}),
        ("/api/v1/projects/dryer/proposals", {"kind": "decision", "title": "Oil the hinges",
                                              "body": ""}),
        ("/api/v1/projects/dryer/proposals/2/stances", {"stance": "support", "reason": ""}),
        ("/api/v1/projects/dryer/inputs", {"title": "Screws", "kind": "material",
                                           "quantity": "100", "unit": "piece"}),
        ("/api/v1/projects/dryer/inputs/2/pledges", {"quantity": "10", "note": ""}),
        ("/api/v1/projects/dryer/work", {"hours": "1", "category": "routine",
                                         "description": "Oiled", "date": "2041-05-06"}),
        ("/api/v1/projects/dryer/credits", {"username": "ada", "kind": "doc",
                                            "evidence_url": "https://example.org/doc"}),
    ]:
        answer = api.post(path, json=body, headers=bearer)
        assert answer.status_code in (201, 202), (path, answer.get_json())

    # Deciding: the CLI, a week later.
    clock.now += timedelta(days=7)
    assert app.test_cli_runner().invoke(args=["governance", "tick"]).exit_code == 0

    with app.app_context():
        stamped = _stored_times(db.session)
    assert stamped, "the walk above wrote no times at all"
    early = [(where, value) for where, value in stamped
             if value < (START if isinstance(value, datetime) else START.date())]
    assert not early, f"written from the machine's clock, not the application's: {early}"

    # The project's first commit, made by commons, carries the clock's time.
    stamp = subprocess.run(["git", "--git-dir", str(tmp_path / "repos" / "dryer.git"), "log",
                            "-1", "--format=%at %ct", "main"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert {int(s) for s in stamp} == {int(START.timestamp())}


def _stored_times(session) -> list[tuple[str, datetime]]:
    """Every time and date the database holds, as (table.column, value)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (UTCDateTime, sa.Date, sa.DateTime)):
                found += [(f"{table.name}.{column.name}", value) for value in
                          session.scalars(sa.select(column).where(column.is_not(None)))]
    return found

