"""Push records that cannot be lost: git's reflog is the record, and one
reconcile job turns it into push records, exactly once, whatever died in
between. Real processes throughout: gunicorn killed with SIGKILL, a worker
started afterwards, the database cut off while a pack streams, several
reconcilers at once."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons.extensions import db
from commons.git.models import Commit, Push, PushCommit
from commons.jobs import queue_of
from tests.conftest import ROOT, start_server
from tests.git.conftest import Forge
from tests.git.test_governance import api, tick
from tests.jobs.test_queue import start_worker, stop, wait_for

ZEROS = "0" * 40


@pytest.fixture
def queued(make_app, tmp_path):
    """An app whose queue is a SQLite file no worker reads (yet)."""
    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", QUEUE_RETRIES=1,
                   QUEUE_RETRY_DELAY=0.2)
    yield app
    with app.app_context():
        queue_of().huey.flush()


@contextmanager
def serving(app, database_uri: str, folder: Path):
    """gunicorn on *app*'s database, repositories and queue; killed with
    SIGKILL (its whole process group) on the way out unless stopped first."""
    server, base, log = start_server(database_uri, folder, {
        "COMMONS_QUEUE_URL": app.config["QUEUE_URL"]})
    try:
        yield server, base, log
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def make_forge(app, base: str, tmp_path: Path) -> Forge:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return Forge(app, base, home)


def pushes(app) -> list[Push]:
    with app.app_context():
        db.session.rollback()
        found = db.session.scalars(sa.select(Push).order_by(Push.id)).all()
        for push in found:  # loaded while the session lives
            _ = push.user, push.ref_updates, push.commits
        return list(found)


def reconcile_in_processes(app, count: int) -> list[subprocess.CompletedProcess]:
    """`flask git reconcile`, *count* processes started together."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "COMMONS_REPOS_DIR": app.config["REPOS_DIR"], "COMMONS_QUEUE_URL": "immediate",
           "COMMONS_SECRET_KEY": "reconcile"}
    started = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "commons", "git",
                                 "reconcile"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(count)]
    results = []
    for process in started:
        output, _ = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, output))
    return results


def test_a_push_whose_server_was_killed_is_recorded_when_a_worker_starts(
        queued, database_uri, tmp_path):
    with serving(queued, database_uri, tmp_path) as (server, base, _):
        forge = make_forge(queued, base, tmp_path)
        alice = forge.person("alice")
        slug = forge.project(alice)
        work = tmp_path / "work"
        forge.git("clone", "-q", forge.url(slug, alice), str(work))
        forge.git("checkout", "-q", "-b", "design", cwd=work)
        first = forge.commit(work, "frame.scad", "cube(10);\n", "Frame", author=alice)
        second = forge.commit(work, "notes.md", "one\n", "Notes", author=alice)
        pushed = forge.git("push", "origin", "design", cwd=work)
        assert "design -> design" in pushed.stderr
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    assert forge.server_ref(slug, "refs/heads/design") == second
    assert pushes(queued) == []  # the request wrote nothing after git
    with queued.app_context():
        # The job enqueued after the push is dropped too: only the worker's
        # start-up reconciliation can find the push now.
        queue_of().huey.flush()
        worker = start_worker(queued, tmp_path)
        try:
            wait_for(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Push)
                                               .where(Push.indexed_at.is_not(None))),
                     tmp_path, "recording the push from the reflog")
        finally:
            stop(worker)
    [push] = pushes(queued)
    assert push.user.username == "alice"
    assert [(u.ref, u.old_sha, u.new_sha) for u in push.ref_updates] == [
        ("refs/heads/design", ZEROS, second)]
    assert sorted(c.sha for c in push.commits) == sorted([first, second])
    with queued.app_context():
        assert db.session.scalar(sa.select(Commit.summary).where(Commit.sha == first)) == "Frame"


class PausingProxy:
    """A TCP relay to *port* that holds a connection still once it has
    carried *after* bytes towards the server, until ``resume`` is set."""

    def __init__(self, port: int, after: int):
        self.port, self.after = port, after
        self.paused, self.resume = threading.Event(), threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.sockets: list[socket.socket] = []
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.port))
            self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False),
                             daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        carried = 0
        try:
            while data := source.recv(65536):
                carried += len(data)
                if upward and carried > self.after and not self.paused.is_set():
                    self.paused.set()
                    self.resume.wait(120)
                target.sendall(data)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.resume.set()
        for connection in [self.listener, *self.sockets]:
            connection.close()


@contextmanager
def database_cut_off(app):
    """The database refuses everyone until the block ends: on PostgreSQL no
    new connections and every existing one terminated; on SQLite an
    exclusive lock held (every other reader and writer waits, then fails)."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false'))
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": url.database})
            try:
                yield
            finally:
                connection.execute(sa.text(
                    f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    else:
        engine = sa.create_engine(url, isolation_level=None)
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                connection.exec_driver_sql("ROLLBACK")
        engine.dispose()


def test_a_push_lands_and_is_told_the_truth_while_the_database_is_gone(
        queued, database_uri, tmp_path):
    with serving(queued, database_uri, tmp_path) as (server, base, log):
        proxy = PausingProxy(int(base.rsplit(":", 1)[1]), after=2 * 1024 * 1024)
        forge = make_forge(queued, proxy.base, tmp_path)
        alice = forge.person("alice")
        slug = forge.project(alice)
        work = tmp_path / "work"
        forge.git("clone", "-q", forge.url(slug, alice), str(work))
        forge.git("checkout", "-q", "-b", "scans", cwd=work)
        head = forge.commit(work, "scan.bin", os.urandom(8 * 1024 * 1024), "Scans", author=alice)
        with queued.app_context():
            db.session.remove()
            db.engine.dispose()  # no connection of ours is left for the cut to kill
        result: dict = {}
        client = threading.Thread(target=lambda: result.update(
            push=forge.git("push", "origin", "scans", cwd=work, check=False)))
        client.start()
        assert proxy.paused.wait(120), "the push never got going"
        # git receive-pack has begun taking the pack (its quarantine is
        # there): everything before it that needed the database is done.
        objects = Path(queued.config["REPOS_DIR"]) / f"{slug}.git" / "objects"
        deadline = time.monotonic() + 60
        while not list(objects.glob("tmp_objdir-incoming-*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        with database_cut_off(queued):
            proxy.resume.set()  # the rest of the pack streams with no database
            client.join(120)
            pushed = result["push"]
            assert pushed.returncode == 0, pushed.stderr + log.read_text()
            assert "scans -> scans" in pushed.stderr
            assert forge.server_ref(slug, "refs/heads/scans") == head
        proxy.close()
    assert pushes(queued) == []
    runner = queued.test_cli_runner()
    with queued.app_context():
        outcome = runner.invoke(args=["git", "reconcile"])
        assert outcome.exit_code == 0, outcome.output
        assert "dryer: 1 push(es) recorded, 1 indexed." in outcome.output
    [push] = pushes(queued)
    assert push.user.username == "alice" and push.indexed_at is not None
    assert [(u.ref, u.new_sha) for u in push.ref_updates] == [("refs/heads/scans", head)]
    assert [c.sha for c in push.commits] == [head]


def test_reconcilers_running_at_once_record_each_push_once(queued, database_uri, tmp_path):
    with serving(queued, database_uri, tmp_path) as (_, base, _log):
        forge = make_forge(queued, base, tmp_path)
        alice, bob = forge.person("alice"), forge.person("bob")
        slug = forge.project(alice)
        forge.join(bob, slug)
        heads = {}
        for person in (alice, bob):
            work = tmp_path / person.username
            forge.git("clone", "-q", forge.url(slug, person), str(work))
            forge.git("checkout", "-q", "-b", person.username, cwd=work)
            for number in range(3):
                heads[person.username] = forge.commit(work, f"{person.username}.txt",
                                                      f"{number}\n", f"{person.username} {number}",
                                                      author=person)
            forge.git("push", "-q", "origin", person.username, cwd=work)
        forge.git("push", "-q", "origin", ":alice", cwd=tmp_path / "bob")  # bob deletes it
    assert pushes(queued) == []  # no worker ran

    results = reconcile_in_processes(queued, 3)
    assert all(r.returncode == 0 for r in results), [r.stdout for r in results]
    recorded = sum(int(r.stdout.split(": ", 1)[1].split(" ", 1)[0]) for r in results)
    assert recorded == 3, [r.stdout for r in results]
    assert reconcile_in_processes(queued, 1)[0].stdout == \
        "dryer: 0 push(es) recorded, 0 indexed.\n"

    found = pushes(queued)
    assert sorted((p.user.username, [(u.ref, u.old_sha, u.new_sha) for u in p.ref_updates])
                  for p in found) == [
        ("alice", [("refs/heads/alice", ZEROS, heads["alice"])]),
        ("bob", [("refs/heads/alice", heads["alice"], ZEROS)]),
        ("bob", [("refs/heads/bob", ZEROS, heads["bob"])])]
    assert all(p.indexed_at is not None for p in found)
    with queued.app_context():
        pushed = list(db.session.scalars(sa.select(PushCommit.sha)))
        assert len(pushed) == len(set(pushed)) == 6
        shas = list(db.session.scalars(sa.select(Commit.sha)))
        assert len(shas) == len(set(shas)) == 7  # the project's first commit, and six


def test_quarantines_older_than_the_grace_are_swept(app, tmp_path):
    forge = make_forge(app, "http://127.0.0.1:9", tmp_path)
    slug = forge.project(forge.person("alice"))
    objects = Path(app.config["REPOS_DIR"]) / f"{slug}.git" / "objects"
    old, fresh = objects / "tmp_objdir-incoming-old", objects / "tmp_objdir-incoming-new"
    for folder in (old, fresh):
        (folder / "pack").mkdir(parents=True)
        (folder / "pack" / "tmp_pack_x").write_bytes(b"x" * 1024)
    # By the file system's clock, which stamped them (a faked wall clock,
    # as in the clock-ahead pass, does not move it).
    hours_ago = (fresh / "pack" / "tmp_pack_x").stat().st_mtime - 2 * 3600
    for path in (old / "pack" / "tmp_pack_x", old / "pack", old):
        os.utime(path, (hours_ago, hours_ago))
    # Old on top, but git is still writing inside it: a push under way.
    os.utime(fresh, (hours_ago, hours_ago))
    result = app.test_cli_runner().invoke(args=["git", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 leftover(s)" in result.output
    assert not old.exists() and (fresh / "pack" / "tmp_pack_x").exists()
    forge.fsck(slug)


def test_a_decided_merge_is_recorded_and_indexed_like_a_push(forge, tmp_path):
    alice, bob = forge.person("alice"), forge.person("bob")
    slug = forge.project(alice)
    forge.join(bob, slug)
    work = tmp_path / "bob"
    forge.git("clone", "-q", forge.url(slug, bob), str(work))
    forge.git("checkout", "-q", "-b", "bamboo", cwd=work)
    head = forge.commit(work, "frame.txt", "bamboo\n", "Bamboo frame", author=bob)
    forge.git("push", "-q", "origin", "bamboo", cwd=work)
    forge.pushes(1)
    status, proposal = api(forge, "POST", f"/projects/{slug}/proposals", bob.token,
                           {"kind": "merge", "title": "Bamboo frame", "branch": "bamboo"})
    assert status == 201, proposal
    before = forge.server_ref(slug, "refs/heads/main")
    assert "passed" in tick(forge)
    merge = forge.server_ref(slug, "refs/heads/main")
    assert merge != before
    found = pushes(forge.app)
    assert [p.user.username if p.user else None for p in found] == ["bob", None]
    decided = found[1]
    assert [(u.ref, u.old_sha, u.new_sha) for u in decided.ref_updates] == [
        ("refs/heads/main", before, merge)]
    assert [c.sha for c in decided.commits] == [merge] and decided.indexed_at is not None
    with forge.app.app_context():
        assert db.session.scalar(sa.select(Commit.parent_count).where(Commit.sha == merge)) == 2
        assert db.session.scalar(sa.select(Commit.sha).where(Commit.sha == head)) == head


def test_a_push_made_on_the_server_itself_is_recorded_without_a_pusher(app, tmp_path):
    forge = make_forge(app, "http://127.0.0.1:9", tmp_path)
    slug = forge.project(forge.person("alice"))
    repo = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    work = tmp_path / "admin"
    forge.git("clone", "-q", str(repo), str(work))
    restored = forge.commit(work, "restored.txt", "from the backup\n", "Restore")
    forge.git("push", "-q", "origin", "main", cwd=work)  # no commons in between
    runner = app.test_cli_runner()
    with app.app_context():
        assert "dryer: 1 push(es) recorded, 1 indexed." in \
            runner.invoke(args=["git", "reconcile", "dryer"]).output
        assert "dryer: 0 push(es)" in runner.invoke(args=["git", "reconcile"]).output
        missing = runner.invoke(args=["git", "reconcile", "nope"])
        assert missing.exit_code == 1 and "No project has the address nope" in missing.output
    [push] = pushes(app)
    assert push.user is None and [c.sha for c in push.commits] == [restored]


def test_the_pushed_time_is_gits_own(app, tmp_path):
    """pushed_at comes from the reflog, not from when the record was made."""
    forge = make_forge(app, "http://127.0.0.1:9", tmp_path)
    slug = forge.project(forge.person("alice"))
    repo = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    work = tmp_path / "admin"
    forge.git("clone", "-q", str(repo), str(work))
    forge.commit(work, "a.txt", "a\n", "A")
    forge.git("push", "-q", "origin", "main", cwd=work)
    entry = (repo / "logs" / "refs" / "heads" / "main").read_text().splitlines()[-1]
    stamp = int(entry.split("\t")[0].split()[-2])
    app.config["CLOCK"] = lambda: datetime(2030, 1, 1, tzinfo=UTC)
    with app.app_context():
        app.test_cli_runner().invoke(args=["git", "reconcile"])
    [push] = pushes(app)
    assert push.pushed_at == datetime.fromtimestamp(stamp, UTC)
    assert push.indexed_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_the_daily_upkeep_prunes_what_no_branch_holds(app, tmp_path):
    forge = make_forge(app, "http://127.0.0.1:9", tmp_path)
    slug = forge.project(forge.person("alice"))
    repo = Path(app.config["REPOS_DIR"]) / f"{slug}.git"
    work = tmp_path / "admin"
    forge.git("clone", "-q", str(repo), str(work))
    forge.git("checkout", "-q", "-b", "mistake", cwd=work)
    mistake = forge.commit(work, "secret.txt", "oops\n", "Oops")
    forge.git("push", "-q", "origin", "mistake", cwd=work)
    forge.git("push", "-q", "origin", ":mistake", cwd=work)
    assert forge.git("-C", str(repo), "cat-file", "-e", mistake, check=False).returncode == 0
    from commons.git.jobs import maintain
    probe = tmp_path / "now"  # git ages objects by their files' times
    probe.touch()
    later = datetime.fromtimestamp(probe.stat().st_mtime, UTC) + timedelta(days=1)
    app.config.update(GIT_PRUNE_GRACE=3600, CLOCK=lambda: later)
    with app.app_context():
        maintain()
    assert forge.git("-C", str(repo), "cat-file", "-e", mistake, check=False).returncode != 0
    forge.fsck(slug)
