"""The app factory: config.py, then COMMONS_* variables, then overrides."""

from pathlib import Path

import pytest

from commons import ROOT, ConfigurationError, create_app


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("COMMONS_"):
            monkeypatch.delenv(name)
    # The default queue is a file in the checkout's instance folder, which a
    # developer's `make run` worker reads: no test may put one there.
    monkeypatch.setenv("COMMONS_QUEUE_URL", f"sqlite:///{tmp_path}/jobs.sqlite3")


def test_defaults_come_from_config_py(monkeypatch):
    monkeypatch.setenv("COMMONS_SECRET_KEY", "s3cret")
    app = create_app()
    assert app.config["MIN_REVIEW_WINDOW"] == 86400
    assert app.config["DEFAULT_REVIEW_WINDOW"] == 259200
    assert app.config["REPOS_DIR"] == str(ROOT / "repos")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == \
        f"sqlite:///{Path(app.instance_path) / 'commons.sqlite3'}"


def test_environment_variables_override_config(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMONS_SECRET_KEY", "s3cret")
    monkeypatch.setenv("COMMONS_REPOS_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("COMMONS_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("COMMONS_MIN_REVIEW_WINDOW", "3600")
    monkeypatch.setenv("COMMONS_DEFAULT_REVIEW_WINDOW", "7200")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.config["REPOS_DIR"] == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["MIN_REVIEW_WINDOW"] == 3600
    assert app.config["DEFAULT_REVIEW_WINDOW"] == 7200


def test_production_without_a_secret_key_refuses_to_start():
    with pytest.raises(ConfigurationError, match="COMMONS_SECRET_KEY is not set"):
        create_app()


def test_development_gets_a_random_key_per_start(monkeypatch):
    monkeypatch.setenv("COMMONS_DEBUG", "1")
    first, second = create_app(), create_app()
    assert first.debug and len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]


def test_default_review_window_under_the_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("COMMONS_SECRET_KEY", "s3cret")
    monkeypatch.setenv("COMMONS_DEFAULT_REVIEW_WINDOW", "60")
    with pytest.raises(ConfigurationError, match="at least COMMONS_MIN_REVIEW_WINDOW"):
        create_app()


def test_the_home_page_leads_to_the_projects(client):
    # The front page (tests/test_front.py) says what commons is, then the ways in.
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/projects"' in response.get_data(as_text=True)


def test_unknown_pages_answer_404_in_html_and_api_in_json(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "There is nothing at this address" in page.get_data(as_text=True)
    api = client.get("/api/v1/no/such/thing")
    assert api.status_code == 404 and api.get_json()["error"]


def test_pages_carry_security_headers(client):
    response = client.get("/projects")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_commands_run_without_a_secret_key(tmp_path):
    # `users create` signs no session, so production shells need no key for it.
    import subprocess
    import sys
    env = {"PATH": __import__("os").environ["PATH"],
           "COMMONS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.db",
           "COMMONS_REPOS_DIR": str(tmp_path / "repos"),
           "COMMONS_QUEUE_URL": f"sqlite:///{tmp_path}/jobs.sqlite3"}
    flask = [sys.executable, "-m", "flask", "--app", "commons"]
    upgrade = subprocess.run([*flask, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    create = subprocess.run([*flask, "users", "create", "alice", "alice@example.org",
                             "--password", "correct horse battery"],
                            env=env, capture_output=True, text=True)
    assert create.returncode == 0, create.stderr
    assert "Created alice" in create.stdout
