"""Evidence files that no receipt names do not stay for ever, and no member
can fill the disk: `flask --app commons ledger prune-evidence` removes files
no journal entry names once the grace period (COMMONS_EVIDENCE_GRACE) has
passed since they were last uploaded, and each member may upload at most
COMMONS_EVIDENCE_QUOTA_BYTES in any COMMONS_EVIDENCE_QUOTA_WINDOW, through
the API or the receipt form."""

import hashlib
import io
import os
from pathlib import Path

import pytest

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.projects import services as projects
from tests.conftest import bearer
from tests.ledger.conftest import T0, Ledger
from tests.ledger.test_pages import error_text, on_input, people_of

FILAMENT = {"title": "PLA filament", "kind": "material", "quantity": "20", "unit": "kg"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored(app) -> set[str]:
    root = Path(app.config["EVIDENCE_DIR"])
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


class Site:
    """"dryer" with members ada and bo (tokens through the API), and "kiln",
    whose only member is ada."""

    def __init__(self, app, clock):
        self.app, self.clock, self.client = app, clock, app.test_client()
        with app.app_context():
            world = Ledger(app, clock)
            projects.create_project(db.session, world.ada, projects.NewProject(
                name="Kiln", slug="kiln", license="MIT"),
                projects.Settings.from_config(app.config), now=clock())
            self.tokens = {name: accounts.create_token(db.session, getattr(world, name), "t",
                                                       now=app_clock.now())[1]
                           for name in ("ada", "bo")}
            db.session.commit()
        assert self.post("dryer", "/inputs", "ada", json=FILAMENT).status_code == 201

    def post(self, slug: str, path: str, who: str, **kwargs):
        return self.client.post(f"/api/v1/projects/{slug}{path}",
                                headers=bearer(self.tokens[who]), **kwargs)

    def upload(self, data: bytes, who: str = "bo", slug: str = "dryer"):
        return self.post(slug, "/evidence?name=receipt.jpg", who, data=data,
                         content_type="image/jpeg")

    def receipt(self, data: bytes, who: str = "bo", slug: str = "dryer"):
        return self.post(slug, "/inputs/1/receipts", who, json={
            "quantity": "1", "provider": "shop", "evidence_sha256": digest(data)})

    def prune(self, *args: str):
        result = self.app.test_cli_runner().invoke(args=["ledger", "prune-evidence", *args])
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def site(make_app, clock):
    return Site(make_app(CLOCK=clock, EVIDENCE_GRACE=86400), clock)


def test_unreferenced_evidence_goes_after_the_grace_period_and_named_evidence_stays(site):
    forgotten, named = b"a receipt nobody used" * 10, b"the till receipt" * 10
    assert site.upload(forgotten).status_code == 201
    assert site.upload(named).status_code == 201
    assert site.receipt(named).status_code == 201
    site.clock.advance(hours=23)
    assert "Removed 0 evidence files" in site.prune()
    assert stored(site.app) == {digest(forgotten), digest(named)}

    site.clock.advance(hours=1, seconds=1)
    output = site.prune()
    assert "Removed 1 evidence file " in output and digest(forgotten) in output
    assert stored(site.app) == {digest(named)}
    # The receipt names it: it stays however old it grows.
    site.clock.advance(days=400)
    site.prune()
    assert stored(site.app) == {digest(named)}
    served = site.client.get(f"/projects/dryer/evidence/{digest(named)}")
    assert served.status_code == 200
    served.close()
    # A receipt cannot name what was removed; uploading it again works.
    refused = site.receipt(forgotten)
    assert refused.status_code == 422 and "Upload it first" in refused.get_json()["error"]
    assert site.upload(forgotten).status_code == 201 and site.receipt(forgotten).status_code == 201


def test_the_grace_period_counts_from_the_last_upload_and_any_project_names_a_file(site):
    again, elsewhere = b"uploaded twice" * 10, b"named by the kiln" * 10
    assert site.upload(again).status_code == 201
    assert site.upload(elsewhere, who="ada").status_code == 201
    assert site.post("kiln", "/inputs", "ada", json=FILAMENT).status_code == 201
    assert site.receipt(elsewhere, who="ada", slug="kiln").status_code == 201
    site.clock.advance(hours=20)
    assert site.upload(again, who="ada").status_code == 201
    site.clock.advance(hours=20)
    site.prune()
    assert stored(site.app) == {digest(again), digest(elsewhere)}
    site.clock.advance(hours=5)
    site.prune()
    assert stored(site.app) == {digest(elsewhere)}


def test_a_dry_run_lists_and_keeps(site):
    forgotten = b"forgotten" * 10
    site.upload(forgotten)
    site.clock.advance(days=2)
    output = site.prune("--dry-run")
    assert "Would remove 1 evidence file " in output and digest(forgotten) in output
    assert stored(site.app) == {digest(forgotten)}


def test_files_without_an_upload_record_go_by_their_age_on_disk(site):
    """Uploads from before uploads were recorded, and files a crashed upload
    left half-written, have only their modification time."""
    root = Path(site.app.config["EVIDENCE_DIR"])
    old, new = b"uploaded long ago" * 10, b"uploaded just now" * 10
    for data, when in ((old, T0.timestamp() - 2 * 86400), (new, T0.timestamp())):
        path = root / digest(data)[:2] / digest(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (when, when))
    stray = root / ".upload-abc123"
    stray.write_bytes(b"half a file")
    os.utime(stray, (T0.timestamp() - 2 * 86400,) * 2)
    site.prune()
    assert stored(site.app) == {digest(new)}


@pytest.fixture
def quota_site(make_app, clock):
    return Site(make_app(CLOCK=clock, EVIDENCE_QUOTA_BYTES=1000,
                         EVIDENCE_QUOTA_WINDOW=7 * 86400), clock)


def test_a_member_over_the_upload_quota_is_refused_through_the_api(quota_site):
    site = quota_site
    assert site.upload(b"a" * 600).status_code == 201
    refused = site.upload(b"b" * 500)
    assert refused.status_code == 422, refused.get_json()
    body = refused.get_json()
    assert body["field"] == "evidence_file"
    assert "1000 bytes of evidence in 7 days" in body["error"]
    assert "link to the file" in body["error"].lower()
    assert stored(site.app) == {digest(b"a" * 600)}
    # Another member has their own allowance.
    assert site.upload(b"c" * 500, who="ada").status_code == 201
    # Uploads older than the window stop counting.
    site.clock.advance(days=7, seconds=1)
    assert site.upload(b"b" * 500).status_code == 201


def test_a_member_over_the_upload_quota_is_refused_on_the_receipt_form(make_app, clock):
    app = make_app(CLOCK=clock, EVIDENCE_QUOTA_BYTES=1000)
    people = people_of(app)
    people.ada.submit("/projects/dryer/inputs/new", {
        "title": "PLA filament", "kind": "material", "quantity": "20", "unit": "kg"})
    first = on_input(people.bo, "receipt", {
        "quantity": "1", "provider": "shop",
        "evidence_file": (io.BytesIO(b"a" * 600), "scan.pdf", "application/pdf")})
    assert first.status_code == 302
    refused = on_input(people.bo, "receipt", {
        "quantity": "2", "provider": "the shop",
        "evidence_file": (io.BytesIO(b"b" * 500), "scan2.pdf", "application/pdf")})
    assert refused.status_code == 422
    assert "1000 bytes of evidence in 30 days" in error_text(refused)
    assert 'value="the shop"' in refused.get_data(as_text=True)
    assert stored(app) == {digest(b"a" * 600)}
    # The receipt itself can still be recorded with a link.
    linked = on_input(people.bo, "receipt", {
        "quantity": "2", "provider": "the shop", "evidence_url": "https://example.org/scan2.pdf"})
    assert linked.status_code == 302
