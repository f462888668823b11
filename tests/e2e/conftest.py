"""A real server (gunicorn, as in production) on a free port, and a real
browser (Debian's chromium driven by Playwright) to use it."""

import os
import shutil
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

        def new_page(width=1280, height=900, js=True):
            # js=False: the page as someone with scripts off sees and submits it.
            context = browser.new_context(viewport={"width": width, "height": height},
                                          java_script_enabled=js)
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
