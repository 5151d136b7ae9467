"""The one link an instructor hands out, clicked in Chromium: the hub's login page, then nbgitpuller clones the
course into the student's home and JupyterLab opens its first notebook (tools/hub_local.py, as `make hub` runs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_lab import NOTEBOOKS
from browser_static import open_offline
from playwright.sync_api import expect

from tests.tooling import tool

hub_local = tool("hub_local")
FIRST = "00_one_idea_normalize.ipynb"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Any]:
    """The course repository and a running hub (a hub_local.Hub), which must end every process when stopped."""
    if not hub_local.PROXY.exists():
        pytest.fail("the hub's proxy is missing: make test-web installs it (tools/hub/package-lock.json)")
    repo = hub_local.course_repo(NOTEBOOKS, tmp_path / hub_local.COURSE)
    running = hub_local.start_hub(tmp_path / "state")
    running.repo = repo
    yield running
    assert running.stop() == [], "a process of the hub had to be killed"


def test_the_link_logs_in_pulls_the_course_and_opens_the_first_notebook(browser: object, hub: Any) -> None:
    context, page, outside, _ = open_offline(browser, hub_local.pull_link(hub.url, hub.repo, FIRST))
    try:
        expect(page.locator("input[name=username]")).to_be_visible(timeout=30_000)  # the hub's login form
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", hub.password)
        page.click("input[type=submit], button[type=submit]")
        # nbgitpuller's page clones the course, then sends the browser on to the notebook in JupyterLab
        expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=120_000)
        tab = page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel")
        expect(tab.filter(has_text=FIRST)).to_have_count(1, timeout=30_000)
        assert "/user/ada/lab/tree/" in page.url
        expect(page.locator(".jp-StatusBar-Widget")).to_contain_text("| Idle", timeout=60_000)  # its kernel is ready
        course = hub.state / "home" / "ada" / hub_local.COURSE
        assert sorted(p.name for p in course.glob("*.ipynb")) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
        assert (course / ".git").is_dir()  # a clone: later clicks merge updates into it
        assert not outside, f"requests left 127.0.0.1: {outside[:3]}"
    finally:
        context.close()
