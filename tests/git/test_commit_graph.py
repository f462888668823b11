"""Commit-graphs with changed-path Bloom filters: written after pushes and
for a repository restored without one, and used by a file's history."""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from commons import clock
from commons.accounts import services as accounts
from commons.extensions import db
from commons.git import reading, sweeping
from commons.jobs import enqueue
from commons.projects import services as projects
from tests.conftest import TEST_PASSWORD
from tests.git.test_catfile import ENV, commit, git


def _has_graph_file(path: Path) -> bool:
    info = path / "objects" / "info"
    return (info / "commit-graph").is_file() or \
        (info / "commit-graphs" / "commit-graph-chain").is_file()


def _wait_for_filters(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not sweeping.has_changed_paths(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def _verified(path: Path) -> None:
    assert _has_graph_file(path)
    assert sweeping.has_changed_paths(path)
    subprocess.run(["git", "-C", str(path), "commit-graph", "verify"], env=ENV, check=True,
                   capture_output=True)


def test_a_push_leaves_a_commit_graph_with_bloom_filters(forge, tmp_path):
    alice = forge.person("alice")
    slug = forge.project(alice)
    repo = Path(forge.app.config["REPOS_DIR"]) / f"{slug}.git"
    work = tmp_path / "work"
    forge.git("clone", "-q", forge.url(slug, alice), str(work))
    for number in range(3):
        forge.commit(work, f"docs/note{number}.md", f"note {number}\n", f"Note {number}",
                     author=alice)
    forge.git("push", "-q", "origin", "HEAD:refs/heads/notes", cwd=work)
    forge.pushes(1)
    _wait_for_filters(repo)
    _verified(repo)
    counted = forge.git("-C", str(repo), "rev-list", "--count", "--all").stdout.strip()
    # A second push adds a layer for its commits (or merges layers): the
    # graph still covers every commit.
    forge.commit(work, "docs/later.md", "later\n", "Later", author=alice)
    forge.git("push", "-q", "origin", "HEAD:refs/heads/notes", cwd=work)
    forge.pushes(2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _graph_commits(repo) < int(counted) + 1:
        time.sleep(0.05)
    _verified(repo)
    assert _graph_commits(repo) == int(counted) + 1


def _graph_commits(path: Path) -> int:
    """How many commits the repository's commit-graph layers hold: the last
    of each layer's 256 fan-out counts (its OIDF chunk)."""
    total = 0
    for graph in sweeping._graph_files(path):
        data = graph.read_bytes()
        table = data[8:8 + (data[6] + 1) * 12]
        for at in range(0, len(table) - 12, 12):
            if table[at:at + 4] == b"OIDF":
                offset = int.from_bytes(table[at + 4:at + 12], "big")
                total += int.from_bytes(data[offset + 255 * 4:offset + 256 * 4], "big")
    return total


def _restored_project(app, runner, tmp_path) -> Path:
    """A project whose repository was replaced by a copy of another bare
    repository with 30 commits and no commit-graph, as a restored backup."""
    assert runner.invoke(args=["users", "create", "alice", "alice@example.org", "--password",
                               TEST_PASSWORD]).exit_code == 0
    with app.app_context():
        user = accounts.find_user(db.session, "alice")
        projects.create_project(db.session, user, projects.NewProject(
            name="Dryer", slug="dryer", license="MIT"), projects.Settings.from_config(app.config),
            now=clock.now())
        db.session.commit()
    work = tmp_path / "backup-work"
    git("init", "-q", "-b", "main", str(work))
    for number in range(30):
        commit(work, {f"src/f{number % 7}.c": f"int v = {number};\n".encode()}, f"Step {number}")
    backup = tmp_path / "backup.git"
    git("clone", "-q", "--bare", str(work), str(backup))
    target = Path(app.config["REPOS_DIR"]) / "dryer.git"
    shutil.rmtree(target)
    shutil.copytree(backup, target)
    assert not _has_graph_file(target)
    return target


def test_a_restored_repository_gets_its_commit_graph_when_a_worker_starts(app, runner, tmp_path):
    target = _restored_project(app, runner, tmp_path)
    with app.app_context():
        enqueue("git.reconcile_all")  # what a worker runs as it starts
    _verified(target)


def test_a_files_history_reads_the_bloom_filters(app, runner, tmp_path, monkeypatch):
    target = _restored_project(app, runner, tmp_path)
    with app.app_context():
        enqueue("git.reconcile_all")
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    entries = reading.log(target, "main", "src/f3.c")
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    assert [e.summary for e in entries] == ["Step 24", "Step 17", "Step 10", "Step 3"]
    stats = [json.loads(event["value"]) if isinstance(event["value"], str) else event["value"]
             for event in map(json.loads, trace.read_text().splitlines())
             if event.get("category") == "bloom" and event.get("key") == "statistics"]
    assert stats and stats[-1]["definitely_not"] > 0
    assert os.environ.get("GIT_TRACE2_EVENT") is None
