"""Fixtures for the real-browser tests: Debian's Chromium via Playwright, and a throwaway JupyterLab.

Without Chromium (or Playwright) these tests skip with a one-line reason; NORMLAB_REQUIRE_BROWSER=1 turns
that skip into a failure, so CI always runs them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_lab import NOTEBOOKS, REPO, LabServer, start_lab

SCREENSHOTS = REPO / "build" / "screenshots"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("NORMLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (NORMLAB_REQUIRE_BROWSER=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (NORMLAB_CHROMIUM overrides); no Playwright browser download is ever used."""
    path = os.environ.get("NORMLAB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _unavailable("browser tests need Debian's Chromium: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    """One headless Chromium for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need the playwright Python package: make setup")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def lab(browser: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab serving a temporary copy of notebooks/ (the originals are never opened)."""
    server = start_lab(NOTEBOOKS, tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser tab (own context: no state shared between notebooks)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """build/screenshots/, created on demand (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
