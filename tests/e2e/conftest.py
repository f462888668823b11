"""A real server (gunicorn, as in production) on a free port, and a real
browser (Debian's chromium driven by Playwright) to use it."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"


def _chromium() -> str | None:
    candidate = os.environ.get("COMMONS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if os.path.exists(candidate) else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        message = ("no chromium found: install Debian's chromium package (apt-get install "
                   "chromium) or set COMMONS_CHROMIUM to run the browser tests")
        if os.environ.get("COMMONS_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def live_server(make_app, database_uri, tmp_path):
    make_app()  # empties the tables after the test, like every other test
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")},
        "COMMONS_SQLALCHEMY_DATABASE_URI": database_uri,
        "COMMONS_REPOS_DIR": str(tmp_path / "repos"),
        "COMMONS_SECRET_KEY": "e2e-secret",
    }
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--worker-class", "gthread",
         "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "commons:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/projects", timeout=1)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("the server did not start:\n" + (tmp_path / "server.log").read_text()) from None
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(10)
    log.close()


@pytest.fixture
def browser_factory(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=["--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        contexts = []

        def new_page(width=1280, height=900):
            context = browser.new_context(viewport={"width": width, "height": height})
            contexts.append(context)
            return context.new_page()

        yield new_page
        for context in contexts:
            context.close()
        browser.close()


def screenshot(page, name: str) -> None:
    """Keep a picture of the page for people to look at after a run."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
