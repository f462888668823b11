"""Deliveries to a real HTTP receiver on 127.0.0.1 (so these apps allow
private addresses): signed bodies, retries with the log of each attempt,
timeouts, redelivery, the ledger entry's hash, and the refusal at delivery
time once private addresses are no longer allowed."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.ledger import services as ledger
from commons.ledger.models import LedgerEntry
from commons.projects import services as projects
from commons.projects.rules import Threshold
from commons.webhooks import services
from commons.webhooks.models import Delivery, Webhook

SECRET = "a-shared-secret-of-some-length"


def setup(app, receiver, events=("ledger_entry",), secret=SECRET):
    """ada's project "dryer" with a hook to *receiver*; returns ids."""
    with app.app_context():
        ada = accounts.register_user(db.session, "ada", "ada@example.org", "x" * 12,
                                     now=clock.now())
        project = projects.create_project(db.session, ada, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT",
            approval_threshold=Threshold(Decimal("100"), "EUR")),
            projects.Settings.from_config(app.config), now=clock.now())
        hook = services.create_hook(db.session, project, ada, services.HookFields(
            url=receiver.url, secret=secret, events=list(events)),
            services.Settings.from_config(app.config), clock.now())
        db.session.commit()
        return hook.id


def record_need(app, title="PLA filament"):
    with app.app_context():
        project = projects.get_project(db.session, "dryer")
        ada = accounts.find_user(db.session, "ada")
        ledger.record_need(db.session, project, ada, ledger.NeedForm(
            title=title, kind="material", quantity="2", unit="kg", unit_cost="2.50",
            currency="EUR"), clock.now())
        db.session.commit()


def deliveries(app) -> list[Delivery]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Delivery).order_by(Delivery.id)))
        for delivery in found:
            _ = delivery.tries
        db.session.expunge_all()
        return found


def test_a_ledger_entry_is_posted_signed_with_the_journals_hash(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    setup(app, receiver)
    record_need(app)
    [request] = receiver.wait(1)
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Commons-Event"] == "ledger_entry"
    assert receiver.signed(request, SECRET)
    assert not receiver.signed(request, SECRET + "x")
    sent = json.loads(request.body)
    assert sent["event"] == "ledger_entry" and sent["project"] == "dryer"
    assert sent["delivery"] == request.headers["X-Commons-Delivery"]
    with app.app_context():
        entry = db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq)).all()[-1]
        assert sent["data"]["seq"] == entry.seq
        assert sent["data"]["hash"] == entry.hash
        assert sent["data"]["prev_hash"] == entry.prev_hash
        assert sent["data"]["kind"] == entry.action
        assert sent["data"]["payload"] == entry.payload
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("delivered", 200, 1)
    assert delivery.uuid == sent["delivery"]


def test_a_failing_receiver_gets_a_retry_and_the_log_shows_both(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_RETRY_DELAY=0, WEBHOOK_ATTEMPTS=3)
    setup(app, receiver)
    receiver.answers = [500]
    record_need(app)
    first, second = receiver.wait(2)
    assert first.body == second.body  # the same delivery, signed the same
    assert first.headers["X-Commons-Delivery"] == second.headers["X-Commons-Delivery"]
    assert receiver.signed(second, SECRET)
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert [(t.number, t.ok, t.response_code) for t in delivery.tries] == \
        [(1, False, 500), (2, True, 200)]
    assert delivery.tries[0].error == "The receiver answered 500."


def test_attempts_stop_after_the_configured_number_and_the_delivery_is_failed(make_app,
                                                                             receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_RETRY_DELAY=0, WEBHOOK_ATTEMPTS=3)
    setup(app, receiver)
    receiver.answers = [503, 302, 404, 200]
    record_need(app)
    receiver.wait(3)
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 3, 404)
    assert "redirects are not followed" in delivery.tries[1].error
    assert len(receiver.requests) == 3  # nothing followed the redirect, no fourth attempt


def test_a_receiver_that_times_out_is_recorded_failed(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=0.3, WEBHOOK_ATTEMPTS=1)
    setup(app, receiver)
    receiver.answers = [("sleep", 5)]
    record_need(app)
    [delivery] = deliveries(app)
    assert delivery.status == "failed" and delivery.response_code is None
    assert delivery.error == "Timed out after 0.3 s."
    assert delivery.duration_ms < 4000  # it gave up long before the answer


def test_a_receiver_that_is_not_there_is_recorded_failed(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_ATTEMPTS=1)
    hook_id = setup(app, receiver)
    with app.app_context():
        db.session.get(Webhook, hook_id).url = "http://127.0.0.1:9/nobody"  # discard port
        db.session.commit()
    record_need(app)
    [delivery] = deliveries(app)
    assert delivery.status == "failed" and delivery.error.startswith("Could not deliver")


def test_redeliver_sends_the_same_body_again_as_a_new_attempt(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    setup(app, receiver)
    record_need(app)
    receiver.wait(1)
    [delivery] = deliveries(app)
    with app.app_context():
        ada = accounts.find_user(db.session, "ada")
        services.redeliver(db.session, db.session.get(Delivery, delivery.id), ada, clock.now())
        db.session.commit()
    first, again = receiver.wait(2)
    assert again.body == first.body and receiver.signed(again, SECRET)
    [delivery] = deliveries(app)
    assert [(t.number, t.ok, t.redelivery) for t in delivery.tries] == \
        [(1, True, False), (2, True, True)]


def test_a_job_run_twice_sends_once(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    setup(app, receiver)
    record_need(app)
    receiver.wait(1)
    [delivery] = deliveries(app)
    with app.app_context():
        assert services.deliver(db.session, delivery.id, 1, services.Settings(allow_private=True),
                                clock.now()) is None
    assert len(receiver.requests) == 1


def test_hooks_get_only_the_events_they_asked_for_and_disabled_ones_nothing(make_app,
                                                                            receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    hook_id = setup(app, receiver, events=("push", "membership"))
    record_need(app)
    assert deliveries(app) == [] and receiver.requests == []
    with app.app_context():
        hook = db.session.get(Webhook, hook_id)
        hook.events, hook.enabled = "ledger_entry", False
        db.session.commit()
    record_need(app, "Glass")
    assert deliveries(app) == [] and receiver.requests == []


def test_a_private_target_is_refused_again_at_delivery_time(make_app, receiver):
    allowed = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    setup(allowed, receiver)  # saved while the operator allowed private addresses
    app = make_app(WEBHOOK_ALLOW_PRIVATE=False, WEBHOOK_RETRY_DELAY=0, WEBHOOK_ATTEMPTS=2)
    record_need(app)
    [delivery] = deliveries(app)
    assert delivery.status == "failed" and delivery.attempts == 2
    assert delivery.error.startswith("Refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback")
    assert receiver.requests == []


@pytest.mark.parametrize("url, says", [
    ("ftp://127.0.0.1/hook", "Only http:// and https://"),
    ("http://localhost/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
])
def test_saving_refuses_targets_hooks_may_not_reach(make_app, url, says):
    app = make_app()
    with app.app_context():
        ada = accounts.register_user(db.session, "ada", "ada@example.org", "x" * 12,
                                     now=clock.now())
        project = projects.create_project(db.session, ada, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"),
            projects.Settings.from_config(app.config), now=clock.now())
        db.session.commit()
        with pytest.raises(services.Invalid, match=says):
            services.create_hook(db.session, project, ada, services.HookFields(
                url=url, secret="", events=["push"]), services.Settings(), clock.now())


def test_a_host_name_is_resolved_and_each_checked_address_tried(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True)
    hook_id = setup(app, receiver)
    with app.app_context():
        # localhost may resolve to ::1 first, where nothing listens.
        db.session.get(Webhook, hook_id).url = receiver.url.replace("127.0.0.1", "localhost")
        db.session.commit()
    record_need(app)
    [request] = receiver.wait(1)
    assert request.headers["Host"].startswith("localhost:")
    assert deliveries(app)[0].status == "delivered"


def test_settled_deliveries_leave_the_log_after_the_configured_days(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_LOG_DAYS=30)
    setup(app, receiver)
    record_need(app)
    receiver.wait(1)
    with app.app_context():
        later = clock.now() + timedelta(days=29)
        assert services.prune_deliveries(db.session, 30, later) == 0
        assert services.prune_deliveries(db.session, 30, later + timedelta(days=2)) == 1
        db.session.commit()
    assert deliveries(app) == []


def test_a_worker_sends_off_the_request_path_and_retries_a_timeout(make_app, receiver,
                                                                   tmp_path):
    """A real queue and a real worker process: the page that appends the
    entry answers before anything is sent; the worker's first attempt
    times out on a hanging receiver, its scheduled second one is delivered."""
    from commons.jobs import queue_of
    from tests.conftest import Browser
    from tests.jobs.test_queue import start_worker, stop, wait_for

    settings = {"WEBHOOK_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT": 0.5,
                "WEBHOOK_RETRY_DELAY": 0.5, "WEBHOOK_ATTEMPTS": 3}
    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", **settings)
    browser = Browser(app.test_client())
    # The confirmation mail waits in this real queue; webhooks need none.
    browser.register("ada", confirm=False)
    browser.create_project(slug="dryer", name="Dryer")
    hooked = browser.submit("/projects/dryer/settings/webhooks", {
        "url": receiver.url, "secret": SECRET, "events": ["ledger_entry"], "enabled": "y"})
    assert hooked.status_code == 302
    receiver.answers = [("sleep", 3)]
    answer = browser.submit("/projects/dryer/inputs/new", {
        "title": "Glass pane", "kind": "material", "quantity": "1", "unit": "piece",
        "unit_cost": "40", "currency": "EUR", "needed_by": "2027-04-01", "description": ""})
    assert answer.status_code == 302
    # The page answered with the delivery recorded and nothing sent: no
    # worker runs yet, so nothing on the request path tried the receiver.
    [pending] = deliveries(app)
    assert pending.status == "pending" and pending.attempts == 0 and receiver.requests == []

    worker = start_worker(app, tmp_path, {f"COMMONS_{k}": json.dumps(v)
                                          for k, v in settings.items()})
    try:
        with app.app_context():
            delivered = wait_for(lambda: db.session.scalar(sa.select(Delivery).where(
                Delivery.status == "delivered")), tmp_path, "the delivery")
            tries = [(t.number, t.ok, t.error) for t in delivered.tries]
    finally:
        stop(worker)
        with app.app_context():
            queue_of().huey.flush()
    assert tries == [(1, False, "Timed out after 0.5 s."), (2, True, None)]
    assert all(receiver.signed(r, SECRET) for r in receiver.wait(2))
