"""Hard cases a review found in the ledger, each reproduced before it was
fixed: tampering verify missed, consent to a changed amount, numbers past
the decimal context, lock order, evidence shared by two receipts, standing
after a withdrawn pledge. Tests marked PostgreSQL-only need two concurrent
transactions (SQLite's database lock serialises them); CI runs them there."""

import hashlib
import io
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons import clock as app_clock
from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.extensions import db
from commons.governance import inputs as governance_inputs
from commons.governance import services as governance
from commons.ledger import evidence, services, work
from commons.ledger.models import Input, LedgerEntry, Pledge, WorkLog
from commons.problems import Forbidden, Invalid, Problem
from commons.projects import services as projects
from commons.projects.rules import Threshold
from tests.conftest import bearer
from tests.ledger.conftest import T0, Clock, Ledger
from tests.ledger.test_pages import add_need, error_text, head, on_input, people_of


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ledger(make_app, clock):
    app = make_app(CLOCK=clock, BASE_URL="http://commons.test")
    with app.app_context():
        yield Ledger(app, clock)


@pytest.fixture
def app(make_app, clock):
    # A server error answers 500 instead of raising into the test.
    return make_app(CLOCK=clock, PROPAGATE_EXCEPTIONS=False)


@pytest.fixture
def people(app):
    return people_of(app)


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs two concurrent transactions: PostgreSQL only")


def verify(ledger):
    return ledger.app.test_cli_runner().invoke(args=["ledger", "verify", "dryer"])


# ---------------------------------------------------------------- 500s

def test_the_largest_needs_do_not_break_the_public_ledger_page(app, people):
    # Each need is as large as accepted; their per-currency total is past the
    # default 28-digit decimal context, and the page still shows it exactly.
    for _ in range(3):
        added = add_need(people.ada, quantity="999999999999.999", unit_cost="999999999999.99")
        assert added.status_code == 302
    page = people.anon.client.get("/projects/dryer/ledger")
    assert page.status_code == 200
    assert "2999999999999967000000000.00" in page.get_data(as_text=True)


def test_a_need_with_a_huge_estimate_is_refused_with_a_message(app, people):
    # 18-digit quantity x 18-digit unit cost: cost() cannot quantise the
    # product (decimal.InvalidOperation) and the form answers 500.
    response = add_need(people.ada, quantity="999999999999999999",
                        unit_cost="999999999999999999")
    assert response.status_code == 422, response.status_code
    assert head(app) == 0


def test_an_input_proposal_for_a_huge_input_number_is_a_clear_error(app, people):
    add_need(people.ada, unit_cost="24.50")  # pending, proposal 1
    web = people.ada.submit("/projects/dryer/proposals/new", {
        "kind": "input", "title": "Approve", "body": "please", "input": "99999999999999999999"})
    assert web.status_code in (404, 422), web.status_code
    with app.app_context():
        ada = db.session.scalar(sa.select(User).where(User.username == "ada"))
        token = accounts.create_token(db.session, ada, "review", now=app_clock.now())[1]
        db.session.commit()
    api = app.test_client().post("/api/v1/projects/dryer/proposals", headers=bearer(token), json={
        "kind": "input", "title": "Approve", "body": "please", "input": 99999999999999999999})
    assert api.status_code in (404, 422), api.status_code
    assert "error" in api.get_json()


# ---------------------------------------------------------------- corrections

def test_a_receipt_cannot_be_corrected_below_zero_in_two_steps(ledger):
    s = db.session
    ledger.need()
    first = services.record_receipt(s, ledger.project, ledger.ada, 1, "5", "ada",
                                    now=ledger.clock())
    services.record_receipt(s, ledger.project, ledger.ada, 1, "10", "shop", now=ledger.clock())
    s.commit()
    services.correct(s, ledger.project, ledger.ada, first.seq, {"quantity": "-4"}, "typo",
                     ledger.clock())
    s.commit()
    # Receipt #2 is now 1 kg. Another -4 would make ada's delivery -3 kg; the
    # check compares with the original 5 kg, not with what is left.
    with pytest.raises(Invalid):
        services.correct(s, ledger.project, ledger.ada, first.seq, {"quantity": "-4"},
                         "typo again", ledger.clock())


def test_a_consumption_cannot_be_corrected_below_zero_in_two_steps(ledger):
    s = db.session
    ledger.need()
    services.record_receipt(s, ledger.project, ledger.ada, 1, "10", "shop", now=ledger.clock())
    used = services.record_consumption(s, ledger.project, ledger.ada, 1, "5", "frame",
                                       now=ledger.clock())
    services.record_consumption(s, ledger.project, ledger.ada, 1, "3", "lid", now=ledger.clock())
    s.commit()
    services.correct(s, ledger.project, ledger.ada, used.seq, {"quantity": "-4"}, "typo",
                     ledger.clock())
    s.commit()
    with pytest.raises(Invalid):  # would leave entry #3 using -3 kg
        services.correct(s, ledger.project, ledger.ada, used.seq, {"quantity": "-4"},
                         "typo again", ledger.clock())


# ---------------------------------------------------------------- approval

def test_correcting_a_pending_need_upward_does_not_pass_on_the_old_consent(ledger):
    s = db.session
    ledger.need(quantity="10", unit_cost="20")  # 200 EUR > 100 EUR: pending, proposal 1
    proposal = governance.open_input_proposal(s, ledger.project, 1)
    assert "10 kg" in proposal.body
    ledger.clock.advance(days=2)
    services.correct(s, ledger.project, ledger.ada, 1, {"quantity": "990"}, "bigger batch",
                     ledger.clock())
    s.commit()
    # The members were asked about 10 kg (200 EUR); the need is now 1000 kg
    # (20,000 EUR), yet the same proposal, unrevised, passes at its old close
    # and approves it.
    ledger.clock.advance(days=1, hours=1)  # past the original window
    ledger.tick()
    need = services.get_input(s, ledger.project, 1)
    assert need.needed == Decimal("1000")
    assert need.status == "pending"


def test_a_withdrawn_pledger_has_no_standing_on_the_input_proposal(ledger):
    s = db.session
    ledger.need(unit_cost="24.50")  # 490 EUR: pending, proposal 1
    pledged = services.pledge(s, ledger.project, ledger.cy, 1, "0.001", "", now=ledger.clock())
    s.commit()
    services.withdraw_pledge(s, ledger.project, ledger.cy, pledged.seq, ledger.clock())
    s.commit()
    # cy pledged one gram, took it back, and is no pledger any more; yet cy's
    # objection still blocks the project's decision.
    proposal = governance.get_proposal(s, ledger.project, 1)
    try:
        governance.take_stance(s, proposal, ledger.cy, "object", "no", ledger.clock())
        s.commit()
    except Forbidden:
        s.rollback()
    ledger.clock.advance(days=4)
    ledger.tick()
    assert services.get_input(s, ledger.project, 1).status == "approved"


# ---------------------------------------------------------------- verify

def test_verify_catches_an_entry_whose_actor_was_erased(ledger):
    ledger.need()
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.seq == 1).values(actor_id=None))
    db.session.commit()
    # The journal now shows "a former account" for ada's entry.
    result = verify(ledger)
    assert result.exit_code == 1, result.output
    assert "entry 1 is bad" in result.output


def test_verify_catches_an_entry_moved_to_another_input(ledger):
    s = db.session
    ledger.need()
    ledger.need(title="Plywood")
    services.pledge(s, ledger.project, ledger.cy, 1, "2", "", now=ledger.clock())
    s.commit()
    # cy's pledge to input #1 leaves input #1's history and shows in #2's.
    s.execute(sa.update(LedgerEntry).where(LedgerEntry.seq == 3).values(input_number=2))
    s.commit()
    result = verify(ledger)
    assert result.exit_code == 1, result.output
    assert "entry 3 is bad" in result.output


@pytest.mark.parametrize("table, values", [
    (Input, {"status": "fulfilled"}),
    (Input, {"still_needed": Decimal("0"), "pledged": Decimal("20")}),
    (Input, {"resource": "material:something else"}),
    (Pledge, {"pledger_id": "bo"}),
    (WorkLog, {"user_id": "ada"}),
], ids=["input status", "input pledged and still needed", "input resource", "pledger",
        "worker"])
def test_verify_catches_every_stored_balance_column(ledger, table, values):
    s = db.session
    ledger.need()
    services.pledge(s, ledger.project, ledger.cy, 1, "2", "", now=ledger.clock())
    services.log_work(s, ledger.project, ledger.bo, "3", "care", "cleaning", now=ledger.clock())
    s.commit()
    people = {"ada": ledger.ada.id, "bo": ledger.bo.id}
    s.execute(sa.update(table).values(**{key: people.get(value, value) if isinstance(value, str)
                                         and key.endswith("_id") else value
                                         for key, value in values.items()}))
    s.commit()
    # Pages, the needs board, withdrawal rights and standing read these
    # columns; verify says "balances match".
    result = verify(ledger)
    assert result.exit_code == 1, result.output


# ---------------------------------------------------------------- concurrency

def test_a_refused_receipt_never_deletes_evidence_another_receipt_just_stored(app, people,
                                                                             monkeypatch):
    add_need(people.ada)
    # Two members attach the same scan at the same moment; bo's receipt is
    # refused (quantity 0). Both files are staged before either receipt is
    # checked; bo's refusal must not take away the file ada's receipt names.
    staged = threading.Barrier(2, timeout=20)
    stage_original = evidence.stage

    def stage(*args):
        result = stage_original(*args)
        staged.wait()
        return result

    monkeypatch.setattr(evidence, "stage", stage)
    scan = b"%PDF-1.4 the shop's invoice"
    answers = {}

    def send(who, browser, quantity):
        answers[who] = on_input(browser, "receipt", {
            "quantity": quantity, "provider": "shop",
            "evidence_file": (io.BytesIO(scan), "invoice.pdf", "application/pdf")})

    threads = [threading.Thread(target=send, args=("ada", people.ada, "1")),
               threading.Thread(target=send, args=("bo", people.bo, "0"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers["ada"].status_code == 302, error_text(answers["ada"])
    assert answers["bo"].status_code == 422
    served = people.anon.client.get(f"/projects/dryer/evidence/{hashlib.sha256(scan).hexdigest()}")
    assert served.status_code == 200
    served.close()


def test_closing_an_input_while_its_proposal_is_decided_does_not_deadlock(ledger, monkeypatch):
    postgresql_only()
    ledger.need(quantity="10", unit_cost="20")  # pending, proposal 1 closes at T0 + 3 days
    app = ledger.app
    head_taken, claimed = threading.Event(), threading.Event()
    approve_original = services.approve_input
    withdraw_original = governance.withdraw_input_proposal

    def approve(*args, **kwargs):  # the tick has claimed the proposal
        claimed.set()
        return approve_original(*args, **kwargs)

    def withdraw(*args, **kwargs):  # the close holds the journal head
        head_taken.set()
        claimed.wait(10)
        time.sleep(0.5)
        return withdraw_original(*args, **kwargs)

    monkeypatch.setattr(services, "approve_input", approve)
    monkeypatch.setattr(governance, "withdraw_input_proposal", withdraw)
    errors = {}

    def close():
        with app.app_context():
            try:
                project = projects.get_project(db.session, "dryer")
                ada = db.session.scalar(sa.select(User).where(User.username == "ada"))
                services.close_input(db.session, project, ada, 1, "not needed",
                                     T0 + timedelta(days=2, hours=23))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - what a request would 500 with
                errors["close"] = repr(error)
                db.session.rollback()

    def tick():
        head_taken.wait(10)
        with app.app_context():
            try:
                governance.decide_due(db.session, governance.Settings.from_config(app.config),
                                      T0 + timedelta(days=4))
            except Exception as error:  # noqa: BLE001
                errors["tick"] = repr(error)
                db.session.rollback()

    threads = [threading.Thread(target=close), threading.Thread(target=tick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == {}


def test_a_close_is_never_reported_done_and_silently_dropped(ledger, monkeypatch):
    postgresql_only()
    ledger.need(quantity="10", unit_cost="20")  # pending, proposal 1
    app = ledger.app
    original = governance.open_input_proposal

    def meanwhile(session, project, number):
        found = original(session, project, number)
        if found is not None:  # its author withdraws it in another request
            proposal_number = found.number  # read here: the thread must not touch this session

            def withdraw():
                with app.app_context():
                    proposal = governance.get_proposal(
                        db.session, projects.get_project(db.session, "dryer"), proposal_number)
                    governance.withdraw_proposal(db.session, proposal,
                                                 db.session.get(User, proposal.author_id), T0)
                    db.session.commit()
            other = threading.Thread(target=withdraw)
            other.start()
            other.join(30)
        return found

    # Replaced where withdrawing a closed input's proposal looks it up.
    monkeypatch.setattr(governance_inputs, "open_input_proposal", meanwhile)
    try:
        services.close_input(db.session, ledger.project, ledger.ada, 1, "not needed", T0)
        db.session.commit()
    except Problem:
        db.session.rollback()
        return  # refused with a message: fine
    # close_input returned normally (the page flashes "Input #1 is closed."),
    # but governance's _hold rolled the whole transaction back.
    db.session.expire_all()
    assert services.get_input(db.session, ledger.project, 1).status == "closed"
    assert services.head(db.session, ledger.project)[0] == 2


def test_nobody_logs_more_than_24_hours_a_day_by_logging_in_two_projects_at_once(
        ledger, monkeypatch):
    postgresql_only()
    projects.create_project(db.session, ledger.ada, projects.NewProject(
        name="Other", slug="other", license="CERN-OHL-S-2.0",
        approval_threshold=Threshold(Decimal("100"), "EUR")),
        projects.Settings.from_config(ledger.app.config), now=ledger.clock())
    db.session.commit()
    app = ledger.app
    # Without a lock both checks pass before either writes; with one, the
    # second check waits for the first to commit (and the barrier gives up).
    checked = threading.Barrier(2, timeout=3)
    original = work.check_day

    def check(*args):
        original(*args)
        try:
            checked.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(work, "check_day", check)

    def log(slug):
        with app.app_context():
            try:
                project = projects.get_project(db.session, slug)
                ada = db.session.scalar(sa.select(User).where(User.username == "ada"))
                services.log_work(db.session, project, ada, "20", "care", "long day",
                                  "2026-03-01", now=T0)
                db.session.commit()
            except Problem:
                db.session.rollback()

    threads = [threading.Thread(target=log, args=(slug,)) for slug in ("dryer", "other")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.expire_all()
    logged = sum(db.session.scalars(sa.select(WorkLog.hours).where(
        WorkLog.user_id == ledger.ada.id)), Decimal(0))
    assert logged <= 24
