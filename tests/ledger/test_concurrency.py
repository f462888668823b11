"""Appends from several OS processes at once, each with its own app and its
own connections, as gunicorn workers would make them: the chain never forks
and no entry is lost. On PostgreSQL the journal head's row lock queues them;
on SQLite the database's write lock does (with its 30 s busy timeout)."""

import json
import subprocess
import sys
import time
from decimal import Decimal

import sqlalchemy as sa

from commons.extensions import db
from commons.ledger import rules, services
from commons.ledger.models import LedgerEntry
from tests.conftest import ROOT

APPENDS = 25

# One appender: its own app on the same database, ready when loaded, then
# APPENDS appends as fast as it can once the go file appears, each one
# committed on its own as a request would.
WORKER = r"""
import json, sys, time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from commons import create_app
from commons.accounts.models import User
from commons.extensions import db
from commons.ledger import services
from commons.projects import services as projects

config, who, what, count, signals = json.loads(sys.argv[1])
now = datetime.fromisoformat(config.pop("NOW"))  # the test's clock, not the machine's
app = create_app(config)
with app.app_context():
    project = projects.get_project(db.session, "dryer", with_members=False)
    person = db.session.scalar(sa.select(User).where(User.username == who))
    Path(signals, who + "-" + what).touch()
    deadline = time.monotonic() + 120
    while not Path(signals, "go").exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)
    for n in range(count):
        if what == "pledge":
            services.pledge(db.session, project, person, 1, "0.001", f"{who} pledge {n}",
                            now=now)
        else:
            services.log_work(db.session, project, person, "0.25", "routine", f"{who} work {n}",
                              "2026-03-01", now=now)
        db.session.commit()
    db.engine.dispose()
"""


def test_concurrent_appends_never_fork_the_chain_nor_lose_an_entry(ledger, tmp_path):
    ledger.need(quantity="1000", unit_cost="0.01")  # entry 1; 10 EUR, approved at once
    config = {key: ledger.app.config[key] for key in
              ("SQLALCHEMY_DATABASE_URI", "REPOS_DIR", "EVIDENCE_DIR", "SECRET_KEY",
               "QUEUE_URL")}
    config["TESTING"] = True
    config["NOW"] = ledger.clock().isoformat()
    appenders = [("cy", "pledge"), ("bo", "pledge"), ("ada", "work"), ("bo", "work")]
    signals = tmp_path / "signals"
    signals.mkdir()
    processes = [
        subprocess.Popen([sys.executable, "-c", WORKER,
                          json.dumps([config, who, what, APPENDS, str(signals)])],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who, what in appenders]
    try:
        deadline = time.monotonic() + 120
        while len(list(signals.iterdir())) < len(appenders):
            assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
            assert time.monotonic() < deadline, "the appenders did not start"
            time.sleep(0.01)
        (signals / "go").touch()
        outcomes = [process.communicate(timeout=300) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err

    db.session.expire_all()
    total = 1 + APPENDS * len(appenders)
    assert services.head(db.session, ledger.project)[0] == total
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.project_id == ledger.project.id).order_by(LedgerEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, total + 1))
    previous = rules.GENESIS
    for entry in entries:
        assert entry.prev_hash == previous, f"the chain forks at entry {entry.seq}"
        assert entry.hash == rules.chain(entry.prev_hash, entry.payload.encode())
        previous = entry.hash
    assert services.head(db.session, ledger.project) == (total, previous)
    # Every append is there once, whoever won each race.
    said = sorted(services.entry_data(e).get("note") or services.entry_data(e).get("description")
                  for e in entries[1:])
    assert said == sorted(f"{who} {what} {n}" for who, what in appenders for n in range(APPENDS))

    assert services.verify(db.session, ledger.project).intact
    stored = services.stored_balances(db.session, ledger.project)
    assert stored == services.rebuild_balances(db.session, ledger.project)
    need = services.get_input(db.session, ledger.project, 1)
    assert (need.pledged, len(need.pledges)) == (Decimal("0.050"), 2 * APPENDS)
    assert sorted(w.hours for w in stored.work.values()) == [Decimal("0.25")] * 2 * APPENDS
