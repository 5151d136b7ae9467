"""The instructor's tools: offline slides (opened in Chromium with the network cut), and the maintainers' refresh that
never overwrites uncommitted notebooks. The website and the live slides have their own test files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from browser_lab import NOTEBOOKS, REPO
from browser_static import ASSETS, SLIDE_MARGIN, SLIDE_SIZES_JS, open_offline, tool

TOOLS = REPO / "tools"


def _widget_notebook() -> Path:
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        if "widgets" in json.loads(nb.read_text(encoding="utf-8"))["metadata"]:
            return nb
    pytest.skip("no notebook with saved widget state to export")


@pytest.mark.skipif(not (ASSETS / ".stamp").exists(), reason="offline web assets missing: run `make web-assets`")
def test_slides_work_offline(browser: Any, tmp_path: Path) -> None:
    """A notebook's slides load no outside URL, draw its widgets from their saved state, and raise nothing."""
    source = tmp_path / "notebooks"
    source.mkdir()
    nb = shutil.copy(_widget_notebook(), source)
    before = Path(nb).read_bytes()
    (page_path,) = tool("export_static").export(source, tmp_path / "build", ASSETS)
    assert Path(nb).read_bytes() == before, "exporting must only read the notebook"
    context, page, outside, errors = open_offline(browser, page_path.as_uri())
    try:
        widgets = page.locator(".jupyter-widgets[class*='normlab-']:not(.normlab-output)")
        page.wait_for_function("() => typeof MathJax !== 'undefined' && document.querySelector('.jupyter-widgets')",
                               timeout=30_000)
        assert widgets.count() >= 1
        assert page.get_by_text("Error displaying widget").count() == 0
        page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)
        assert page.locator(".reveal .slides > section").count() > 1, "sections should become slides"
        figures = page.locator("img.normlab-output-figure")
        drawn = "async (img) => getComputedStyle(img).display === 'none' || (await img.decode(), img.naturalWidth > 0)"
        for i in range(figures.count()):
            assert figures.nth(i).evaluate(drawn), f"widget figure {i} is shown but not drawn"
        assert outside == [], f"the slides asked the network for {outside}"
        assert errors == [], f"script errors in the slides: {errors}"
    finally:
        context.close()


def test_refresh_refuses_notebooks_with_uncommitted_changes(tmp_path: Path) -> None:
    """make refresh names every modified or untracked notebook and changes nothing."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    (tmp_path / "notebooks").mkdir()
    done, edited = tmp_path / "notebooks" / "01_done.ipynb", tmp_path / "notebooks" / "02_edited.ipynb"
    for path in (done, edited):
        path.write_text("{}")
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "notebooks"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "notebooks"], cwd=tmp_path, check=True)
    edited.write_text('{"cells": ["a learner\'s work"]}')
    untracked = tmp_path / "notebooks" / "03_new.ipynb"
    untracked.write_text("{}")
    result = subprocess.run([sys.executable, str(TOOLS / "refresh_notebooks.py")], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "notebooks/02_edited.ipynb" in result.stderr and "notebooks/03_new.ipynb" in result.stderr
    assert "01_done" not in result.stderr and "nothing was changed" in result.stderr
    assert edited.read_text() == '{"cells": ["a learner\'s work"]}' and done.read_text() == "{}"


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_widget_output_has_saved_state(notebook: str) -> None:
    """Static HTML and slides draw a widget only from the state saved in the notebook: every view needs its model."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    views = [out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
             for cell in nb["cells"] for out in cell.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    missing = [m for m in views if m not in state]
    assert not missing, f"{notebook}: widget outputs without saved state {missing}; re-run it with `make refresh`"


# What an instructor sees is the deck after MathJax has typeset every formula (and the widgets, whose labels MathJax
# typesets too, have drawn) and the project's fonts have loaded; measured before, a slide of formulas is the height
# of its raw TeX, and a font still loading is the fallback's.
TYPESET_JS = """() => new Promise((resolve) => {
  const fonts = () => document.fonts.ready.then(() => resolve(document.fonts.check("16px 'DejaVu Sans'")));
  MathJax.Hub.Queue(fonts);
})"""


@pytest.mark.skipif(not (ASSETS / ".stamp").exists(), reason="offline web assets missing: run `make web-assets`")
def test_every_slide_fits_the_projector_frame(browser: Any, tmp_path: Path) -> None:
    """At the documented 1280 x 800 frame every slide of every notebook fits with a margin, measured with the
    project's fonts after MathJax has typeset the formulas."""
    exporter = tool("export_static")
    decks = exporter.export(NOTEBOOKS, tmp_path / "build", ASSETS)
    context = browser.new_context(viewport={"width": exporter.SLIDE_WIDTH, "height": exporter.SLIDE_HEIGHT})
    context.route(lambda url: not url.startswith(("file:", "data:", "blob:")), lambda route: route.abort())
    try:
        pages = []
        for deck in decks:  # every deck loads at once: most of a deck's time is waiting for its scripts and widgets
            pages.append(context.new_page())
            pages[-1].goto(deck.as_uri(), wait_until="commit")
        too_big = []
        for deck, page in zip(decks, pages, strict=True):
            page.wait_for_selector(".reveal.ready", state="attached", timeout=30_000)
            page.wait_for_function("() => window.MathJax && MathJax.isReady", timeout=30_000)
            assert page.evaluate(TYPESET_JS), f"{deck.name}: the project's font DejaVu Sans did not load"
            sizes = page.evaluate(SLIDE_SIZES_JS)
            assert len(sizes) > 5, f"{deck.name}: too few slides ({len(sizes)})"
            too_big += [(deck.name, s) for s in sizes if s["height"] > exporter.SLIDE_HEIGHT - SLIDE_MARGIN
                        or s["width"] > exporter.SLIDE_WIDTH or s["wide"]]
        assert too_big == [], (f"slides larger than {exporter.SLIDE_WIDTH} x {exporter.SLIDE_HEIGHT - SLIDE_MARGIN} "
                               f"(the frame less a {SLIDE_MARGIN} px margin): {too_big}")
    finally:
        context.close()
