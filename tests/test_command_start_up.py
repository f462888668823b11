"""What `flask --app commons COMMAND` builds: a database-only command (the
ledger group) gets the configuration and the database only; any other
command gets the whole app, as the web does (commons.DATABASE_ONLY_COMMANDS)."""

import os
import subprocess
import sys

import pytest

from commons import ROOT

# Runs `flask` as the command line does, then says which of the web's
# modules the process imported. (Flask-Limiter is always imported: Flask
# loads its `limiter` command, a plugin, before any app.)
PROBE = """
import sys
from flask.cli import main
sys.argv = ["flask", "--app", "commons", *sys.argv[1:]]
try:
    main()
except SystemExit as end:
    code = end.code
print("EXIT", code)
print("WEB", sorted(m for m in ("commons.api", "commons.accounts.views", "commons.jobs",
                                  "commons.mail", "flask_migrate", "flask_wtf",
                                  "alembic") if m in sys.modules))
"""


@pytest.fixture()
def flask_env(tmp_path):
    env = {"PATH": os.environ["PATH"],
           "COMMONS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.db",
           "COMMONS_REPOS_DIR": str(tmp_path / "repos"),
           "COMMONS_QUEUE_URL": f"sqlite:///{tmp_path}/jobs.sqlite3"}
    upgrade = subprocess.run([sys.executable, "-m", "flask", "--app", "commons", "db", "upgrade"],
                             env=env, cwd=ROOT, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    return env


def probe(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)


def test_ledger_verify_runs_without_the_web(flask_env):
    done = probe(flask_env, "ledger", "verify", "nowhere")
    assert "There is no project “nowhere”" in done.stderr
    assert "EXIT 1" in done.stdout
    assert "WEB []" in done.stdout, done.stdout


def test_other_commands_get_the_whole_app(flask_env):
    done = probe(flask_env, "users", "create", "alice", "alice@example.org",
                 "--password", "correct horse battery")
    assert "Created alice" in done.stdout, done.stderr
    assert "commons.api" in done.stdout and "commons.jobs" in done.stdout, done.stdout


def test_the_list_of_commands_names_them_all(flask_env):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "commons", "--help"],
                          env=flask_env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for command in ("ledger", "users", "governance", "db", "worker", "routes"):
        assert command in done.stdout
