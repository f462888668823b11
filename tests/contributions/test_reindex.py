"""`flask --app commons contributions reindex SLUG` against a long history
built with git fast-import, and deliveries rebuilt from the journal."""

import os
import random
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from commons.contributions import services
from commons.contributions.models import Delivery
from commons.extensions import db
from commons.git.models import Commit
from commons.ledger import services as ledger
from commons.projects import services as projects
from tests.contributions.test_identities import ENV, T0, Repos, git
from tests.contributions.test_records import git_log_tallies, kept, recomputed

PEOPLE = [("Ada", "ada@example.org"), ("Bo", "bo@example.org"), ("Bo B.", "BO@example.org"),
          ("Cy", "cy@elsewhere.example"), ("Dee", "dee@example.org")]


def fast_import(work: Path, commits: int, branch: str, seed: int) -> None:
    """*commits* commits on *branch* above main, from several people, some
    co-authored, a merge of a side branch half-way, lines added and removed."""
    rng = random.Random(seed)
    base = git("rev-parse", "main", cwd=work).strip()
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    files: dict[str, list[str]] = {}
    for number in range(1, commits + 1):
        name, email = rng.choice(PEOPLE)
        when = int((T0 + timedelta(hours=7 * number)).timestamp())
        target = f"refs/heads/{branch}" if number != commits // 2 else "refs/heads/side-work"
        out.append(f"commit {target}\nmark :{number}\n"
                   f"author {name} <{email}> {when} +0000\n"
                   f"committer {name} <{email}> {when} +0000\n".encode())
        message = f"Change {number}"
        if rng.random() < 0.2:
            co_name, co_email = rng.choice(PEOPLE)
            message += f"\n\nCo-authored-by: {co_name} <{co_email}>"
        data(message)
        if number == 1:
            out.append(f"from {base}\n".encode())
        elif number == commits // 2:
            out.append(f"from :{number - 2}\n".encode())
        elif number == commits // 2 + 1:
            out.append(f"from :{number - 1 - 1}\nmerge :{number - 1}\n".encode())
        path = f"part{rng.randrange(6)}.txt"
        lines = files.get(path, [])
        keep = [line for line in lines if rng.random() < 0.7]
        files[path] = keep + [f"line {number}.{k}" for k in range(rng.randrange(1, 6))]
        out.append(f"M 100644 inline {path}\n".encode())
        data("\n".join(files[path]) + "\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=work, env=ENV, check=True,
                   input=b"".join(out), capture_output=True)


@pytest.fixture
def repos(make_app, tmp_path):
    app = make_app(BASE_URL="http://commons.test")
    with app.app_context():
        yield Repos(app, tmp_path)


@pytest.fixture
def long_history(repos):
    ada = repos.person("ada")
    repos.person("bo")
    project = repos.project(ada)
    work = repos.clone(project)
    fast_import(work, 300, "main", seed=6)
    fast_import(work, 40, "feature", seed=7)  # from the old main, beside the new one
    git("tag", "v1", "main~50", cwd=work)
    return repos, project, work


def reindex(repos, slug: str) -> subprocess.CompletedProcess:
    """The command as an operator runs it, in its own process."""
    db.session.commit()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
           "COMMONS_SQLALCHEMY_DATABASE_URI": repos.app.config["SQLALCHEMY_DATABASE_URI"],
           "COMMONS_REPOS_DIR": str(repos.repos_dir), "COMMONS_SECRET_KEY": "cli-secret",
           "COMMONS_QUEUE_URL": "immediate"}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "commons",
                             "contributions", "reindex", slug], env=env, capture_output=True,
                            text=True, timeout=300)
    db.session.expire_all()
    return result


def snapshot(project) -> tuple:
    shas = set(db.session.scalars(sa.select(Commit.sha).where(
        Commit.project_id == project.id)))
    return kept(project.id), shas


def git_records(repos, project) -> dict:
    return {key: (r.name, r.masked_email, r.git) for key, r in repos.records(project).items()}


def test_reindex_gives_what_the_pushes_gave_and_twice_the_same(repos, long_history):
    repos, project, work = long_history
    for source, branch in (("main~200", "main"), ("main~120", "main"), ("main", "main"),
                           ("feature", "feature"), ("v1", "tagged")):
        repos.push(project, work, branch, source)
    bare = repos.bare(project)
    total = int(git("rev-list", "--count", "--all", cwd=bare))
    assert total == 1 + 300 + 40
    incremental, records = snapshot(project), git_records(repos, project)
    assert len(incremental[1]) == total
    assert incremental[0] == recomputed(project.id)

    for _ in range(2):
        result = reindex(repos, "dryer")
        assert result.returncode == 0, result.stderr
        assert f"dryer: {total} commits indexed." in result.stdout
        assert "Indexing dryer" in result.stderr  # the bar itself needs a terminal
        assert snapshot(project) == incremental
        assert git_records(repos, project) == records
    # The records match what git log says each person wrote.
    oracle = git_log_tallies(bare)
    bo = repos.records(project)["bo"].git
    want = oracle["bo@example.org"]
    assert (bo.commits, bo.co_authored, bo.lines_added, bo.lines_removed) == \
        (want["commits"], want["co"], want["added"], want["removed"])


def test_reindex_indexes_a_history_that_arrived_without_pushes(repos, long_history):
    repos, project, work = long_history
    git("push", "-q", str(repos.bare(project)), "main", "feature", cwd=work)  # no indexing
    assert set(repos.records(project)) == {"ada"}
    assert repos.records(project)["ada"].git.commits == 1
    result = reindex(repos, "dryer")
    assert result.returncode == 0, result.stderr
    found = repos.records(project)
    oracle = git_log_tallies(repos.bare(project))
    assert found["identity:cy@elsewhere.example"].git.commits == \
        oracle["cy@elsewhere.example"]["commits"] > 0
    assert found["identity:dee@example.org"].masked_email == "d…@example.org"
    assert kept(project.id) == recomputed(project.id)
    # And a push after the reindex counts only what is new.
    git("checkout", "-q", "main", cwd=work)
    git("reset", "-q", "--hard", "main", cwd=work)
    repos.commit(work, "Ada <ada@example.org>", "After", {"after.txt": "1\n"},
                 T0 + timedelta(days=400))
    before = found["ada"].git.commits
    repos.push(project, work)
    assert repos.records(project)["ada"].git.commits == before + 1
    assert kept(project.id) == recomputed(project.id)


def test_reindex_of_an_unknown_project_says_so(repos):
    result = reindex(repos, "nope")
    assert result.returncode != 0
    assert "There is no project “nope”" in result.stderr


def test_reindex_runs_under_the_app_cli_runner_without_deprecated_click(repos):
    """The suite turns warnings into errors; click.get_text_stream is
    deprecated since Click 8.5 (and goes in 9.0), so the command fails."""
    project = repos.project(repos.person("ada"))
    result = repos.app.test_cli_runner().invoke(args=["contributions", "reindex", "dryer"])
    assert result.exit_code == 0, repr(result.exception)
    assert "dryer: 1 commits indexed." in result.output
    assert project.id


def test_rebuilt_deliveries_equal_those_kept_as_the_journal_grew(repos):
    ada, bo = repos.person("ada"), repos.person("bo")
    project = repos.project(ada)
    projects.join_project(db.session, project, bo, now=T0)
    now = T0 + timedelta(hours=1)
    # No cost estimate: approved at once, so receipts are taken (a pending
    # input takes none until its proposal passes).
    pla = ledger.record_need(db.session, project, ada, ledger.NeedForm(
        title="PLA", kind="material", quantity="50", unit="kg"), now)
    pledged = ledger.pledge(db.session, project, bo, pla.number, "10", now=now)
    first = ledger.record_receipt(db.session, project, ada, pla.number, "6",
                                  pledge_seq=pledged.seq, now=now)
    ledger.record_receipt(db.session, project, bo, pla.number, "2", "bo", now=now)
    ledger.record_receipt(db.session, project, ada, pla.number, "3", "ada", now=now)
    ledger.record_receipt(db.session, project, ada, pla.number, "4", "A shop", now=now)
    ledger.correct(db.session, project, ada, first.seq, {"quantity": "-2"}, "Miscounted",
                   now=now)
    ledger.correct(db.session, project, bo, first.seq, {"quantity": "1"}, "Recounted",
                   now=now)
    db.session.commit()
    shape = lambda: sorted(  # noqa: E731
        (d.seq, d.user_id, d.input_id, d.quantity, d.day) for d in db.session.scalars(
            sa.select(Delivery).where(Delivery.project_id == project.id)))
    incremental = shape()
    assert [(q, u) for _s, u, _i, q, _d in incremental] == [
        (Decimal("5"), bo.id), (Decimal("2"), bo.id), (Decimal("3"), ada.id)]
    assert services.rebuild_from_journal(db.session, project)[1] == 3
    db.session.commit()
    db.session.expire_all()
    assert shape() == incremental


# ---------------------------------------------------------------- the migration's backfill

@pytest.fixture
def old_database(database_uri, tmp_path):
    """An empty database of its own: a SQLite file, or a PostgreSQL schema
    beside the tests' one."""
    if not database_uri.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    schema = f"backfill_{os.getpid()}"
    engine = sa.create_engine(database_uri)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in database_uri else "?"
    yield f"{database_uri}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _run_backfill_of_0005():
    import importlib.util

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0005_contributions.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        migration._backfill()


def test_the_migration_tallies_what_was_there_before_it(old_database, tmp_path):
    """Data written with no listeners (as before migration 0005 made the
    contribution tables), then 0005's backfill over it: it keeps what the
    listeners would have kept. Today's app writes the data, so the schema is
    today's; the backfill reads only what 0005 knew."""
    from flask_migrate import upgrade

    from commons import create_app
    from commons.contributions import reactions
    from commons.signals import commits_indexed, refs_moved
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": old_database,
                      "REPOS_DIR": str(tmp_path / "old-repos"),
                      "EVIDENCE_DIR": str(tmp_path / "old-evidence"),
                      "QUEUE_URL": "immediate"})
    with app.app_context():
        upgrade()
        commits_indexed.disconnect(reactions.count_commits)
        ledger.entry_appended.disconnect(reactions.count_ledger_entry)
        refs_moved.disconnect(reactions.refresh_mailmap)
        try:
            repos = Repos(app, tmp_path)
            ada, bo = repos.person("ada"), repos.person("bo")
            project = repos.project(ada)
            projects.join_project(db.session, project, bo, now=T0)
            work = repos.clone(project)
            fast_import(work, 60, "main", seed=8)
            repos.push(project, work)
            now = T0 + timedelta(hours=1)
            pla = ledger.record_need(db.session, project, ada, ledger.NeedForm(
                title="PLA", kind="material", quantity="50", unit="kg"), now)
            pledged = ledger.pledge(db.session, project, bo, pla.number, "10", now=now)
            first = ledger.record_receipt(db.session, project, ada, pla.number, "6",
                                          pledge_seq=pledged.seq, now=now)
            ledger.record_receipt(db.session, project, ada, pla.number, "1.5", "ada", now=now)
            ledger.correct(db.session, project, ada, first.seq, {"quantity": "-2"},
                           "Miscounted", now=now)
            db.session.commit()
        finally:
            reactions.connect_reactions()
        project_id, ada_id, bo_id = project.id, ada.id, bo.id
        db.session.remove()
        assert not any(kept(project_id))  # nothing counted without the listeners
        _run_backfill_of_0005()
        project = db.session.get(type(project), project_id)
        totals, days = kept(project_id)
        assert len(totals) >= 5
        assert (totals, days) == recomputed(project_id)
        shape = lambda: sorted(  # noqa: E731
            (d.seq, d.user_id, d.input_id, d.quantity, d.day) for d in db.session.scalars(
                sa.select(Delivery).where(Delivery.project_id == project_id)))
        backfilled = shape()
        assert [(q, u) for _s, u, _i, q, _d in backfilled] == [(Decimal("4"), bo_id),
                                                               (Decimal("1.5"), ada_id)]
        services.rebuild_from_journal(db.session, project)
        db.session.flush()
        db.session.expire_all()
        assert shape() == backfilled
        db.session.rollback()
        db.engine.dispose()
