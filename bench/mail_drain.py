"""How fast the outbox drains: MAILS mails queued in one transaction (as
opening a proposal with that many people to tell would), delivered by real
workers (`flask --app commons worker`) to a local SMTP sink (aiosmtpd).

    .venv/bin/python bench/mail_drain.py [--mails 2000] [--workers 1] [--redis redis://...]

Prints the time to queue them (the part a request would pay) and the
delivery rate from the commit to the last mail received (target: at least
100 mails/s). The SQLite queue by default, as `make run`.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BIN, ROOT, remove, scratch  # noqa: E402

from commons import create_app, mail  # noqa: E402
from commons.extensions import db  # noqa: E402
from tests.mailbox import SMTPServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--redis", help="a Redis URL for the queue (else SQLite)")
    args = parser.parse_args()
    work = scratch("commons-bench-mail-")
    sink = SMTPServer().start()
    queue = args.redis or f"sqlite:///{work / 'jobs.sqlite3'}"
    config = {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'db.sqlite3'}",
              "REPOS_DIR": str(work / "repos"), "QUEUE_URL": queue,
              "QUEUE_NAME": uuid.uuid4().hex, **sink.config}
    app = create_app(config)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           **{f"COMMONS_{key}": str(value) for key, value in config.items()}}
    workers: list[subprocess.Popen] = []
    try:
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        for n in range(args.workers):
            log = open(work / f"worker{n}.log", "w")
            workers.append(subprocess.Popen([str(BIN / "flask"), "--app", "commons", "worker"],
                                            cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT))
        time.sleep(3)  # the workers are up and polling
        with app.app_context():
            started = time.perf_counter()
            db.session.execute(db.select(1))  # inside a transaction, as a use case is
            for n in range(args.mails):
                mail.send(db.session, f"person{n}@example.org", f"Proposal #1 (mail {n})",
                          "test", {"server": "127.0.0.1"}, thread="proposal-1-1")
            rendered = time.perf_counter()
            db.session.commit()
            committed = time.perf_counter()
        sink.wait(args.mails, seconds=600)
        drained = time.perf_counter()
        print(f"queue: {'Redis' if args.redis else 'SQLite'}, {args.workers} worker process(es) "
              f"x {app.config['QUEUE_WORKER_THREADS']} threads")
        print(f"rendering {args.mails} mails: {rendered - started:.2f} s "
              f"({(rendered - started) / args.mails * 1000:.2f} ms each); "
              f"queueing them at the commit: {committed - rendered:.2f} s")
        rate = args.mails / (drained - committed)
        print(f"delivered {len(sink.messages)} in {drained - committed:.2f} s after the commit: "
              f"{rate:.0f} mails/s (target >= 100, ratio {rate / 100:.2f})")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        sink.stop()
        if os.environ.get("BENCH_VERBOSE"):
            print((work / "worker0.log").read_text()[-3000:])
        remove(work)


if __name__ == "__main__":
    main()
