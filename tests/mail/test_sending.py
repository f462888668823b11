"""Mail as real mail: rendered from templates into plain and HTML parts,
delivered to a real SMTP server (aiosmtpd) by the job queue after the commit,
retried when the server fails, and written to the outbox folder when no
server is configured."""

import logging

import sqlalchemy as sa

from commons import mail
from commons.extensions import db
from commons.jobs.models import JobFailure
from tests.jobs.test_queue import start_worker, stop, wait_for
from tests.mailbox import html_of, outbox_messages, text_of


def test_a_mail_reaches_the_smtp_server_with_both_parts(make_app, smtp):
    app = make_app(**smtp.config, BASE_URL="https://commons.example")
    result = app.test_cli_runner().invoke(args=["mail", "test", "ada@example.org"])
    assert result.exit_code == 0, result.output
    [message] = smtp.wait(1)
    assert smtp.envelopes == [("noreply@commons.example", ["ada@example.org"])]
    assert message["To"] == "ada@example.org"
    assert message["From"] == "commons <noreply@commons.example>"
    assert message["Subject"] == "A test mail from commons"
    assert message["Message-ID"].endswith("@commons.example>")
    assert "through the SMTP server 127.0.0.1" in text_of(message)
    assert "<p>This is a test mail from commons.</p>" in html_of(message)
    assert message["List-Unsubscribe"] is None  # nothing to stop: it was asked for


def test_a_thread_and_one_click_unsubscribe_become_headers(make_app, smtp):
    app = make_app(**smtp.config, BASE_URL="https://commons.example/site",
                   MAIL_DEFAULT_SENDER="Dryer <dryer@example.net>")
    with app.app_context():
        link = mail.absolute_url("accounts.settings")
        assert link == "https://commons.example/site/settings"  # no request: BASE_URL
        for _ in range(2):
            mail.send(db.session, "bo@example.org", "Proposal #3", "test", {},
                      thread="proposal-1-3", unsubscribe=link)
        db.session.commit()
    first, second = smtp.wait(2)
    assert first["From"] == "Dryer <dryer@example.net>"
    assert first["References"] == first["In-Reply-To"] == "<proposal-1-3@commons.example>"
    assert second["References"] == first["References"]
    assert first["Message-ID"] != second["Message-ID"]
    assert first["List-Unsubscribe"] == "<https://commons.example/site/settings>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop mails like this one: https://commons.example/site/settings" in text_of(first)


def test_nothing_is_sent_for_what_was_rolled_back(make_app, smtp):
    app = make_app(**smtp.config)
    with app.app_context():
        db.session.execute(sa.select(1))  # a transaction is under way, as in any use case
        mail.send(db.session, "ada@example.org", "Never", "test")
        db.session.rollback()
        db.session.execute(sa.select(1))
        mail.send(db.session, "ada@example.org", "Sent", "test")
        db.session.commit()
    [message] = smtp.wait(1)
    assert message["Subject"] == "Sent"


def test_without_a_server_mails_go_to_the_outbox_and_the_log(app, caplog):
    caplog.set_level(logging.INFO, logger="commons.mail")
    with app.app_context():
        mail.send(db.session, "ada@example.org", "Into the outbox", "test")
        db.session.commit()
    [message] = outbox_messages(app)
    assert message["Subject"] == "Into the outbox" and message["To"] == "ada@example.org"
    assert "written to the outbox folder" in text_of(message)
    assert "mail to ada@example.org written to" in caplog.text
    assert "Into the outbox" in caplog.text


def test_a_failing_server_is_retried_by_the_worker_and_a_dead_one_listed(make_app, smtp,
                                                                         tmp_path):
    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", QUEUE_RETRIES=2,
                   QUEUE_RETRY_DELAY=0.2, **smtp.config)
    # The batch's attempt and the first retry are answered "451 Try again later".
    smtp.refuse = 2
    with app.app_context():
        mail.send(db.session, "ada@example.org", "Second time lucky", "test")
        db.session.commit()
    # It waits in the queue: the commit (a page, in real use) sent nothing.
    assert smtp.messages == []
    worker = start_worker(app, tmp_path, {"COMMONS_MAIL_SERVER": "127.0.0.1",
                                          "COMMONS_MAIL_PORT": str(smtp.port),
                                          "COMMONS_QUEUE_RETRIES": "2"})
    try:
        [message] = smtp.wait(1)
        assert message["Subject"] == "Second time lucky"
    finally:
        stop(worker)
    log = (tmp_path / "worker.log").read_text()
    assert "451" in log and "retries left" in log
    assert len(smtp.messages) == 1  # sent once, though tried three times
    # Unreachable for good: listed for the administrators once retries are spent.
    smtp.stop()
    with app.app_context():
        mail.send(db.session, "cy@example.org", "Lost server", "test")
        db.session.commit()
    worker = start_worker(app, tmp_path, {"COMMONS_MAIL_SERVER": "127.0.0.1",
                                          "COMMONS_MAIL_PORT": str(smtp.port),
                                          "COMMONS_QUEUE_RETRIES": "1"})
    try:
        with app.app_context():
            failure = wait_for(lambda: db.session.scalar(sa.select(JobFailure)), tmp_path,
                               "listing the undeliverable mail")
    finally:
        stop(worker)
    assert failure.job == "mail.deliver"
    assert failure.arguments["message"]["to"] == "cy@example.org"


def test_mails_of_one_transaction_go_in_batches_over_one_connection(make_app, smtp):
    from commons.mail.sending import BATCH
    app = make_app(**smtp.config)
    with app.app_context():
        db.session.execute(sa.select(1))
        for n in range(BATCH + 3):
            mail.send(db.session, f"person{n}@example.org", f"Mail {n}", "test")
        db.session.commit()
    messages = smtp.wait(BATCH + 3)
    assert [m["Subject"] for m in messages] == [f"Mail {n}" for n in range(BATCH + 3)]
    assert len(smtp.sessions) == 2  # two batches, one SMTP connection each
