"""The course website (make site): built once from the notebooks, then used in Chromium as a reader would, from
file:// and from a static server, with every request to another host refused."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from browser_lab import NOTEBOOKS
from browser_static import ASSETS, open_offline, static_server

pytestmark = pytest.mark.skipif(not (ASSETS / ".stamp").exists(),
                                reason="offline web assets missing: run `make web-assets`")
NOTEBOOK_NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def _notebook(name: str) -> dict[str, Any]:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def _title(name: str) -> str:
    first = next(c for c in _notebook(name)["cells"] if c["cell_type"] == "markdown")
    heading = "".join(first["source"]).strip().splitlines()[0].lstrip("# ").strip()
    return re.sub(r"[`*]", "", heading)  # as rendered: code and emphasis marks are not text


def _visit(browser: Any, url: str) -> tuple[Any, Any, list, list]:
    context, page, outside, errors = open_offline(browser, url)
    page.wait_for_load_state("load")
    return context, page, outside, errors


def test_sidebar_lists_every_chapter_and_previous_next_walk_them(site: Path, browser: Any) -> None:
    """The sidebar names every notebook in course order; previous/next lead to the neighbours, and clicking works."""
    context, page, outside, errors = _visit(browser, (site / "notebooks" / f"{NOTEBOOK_NAMES[3]}.html").as_uri())
    try:
        links = page.locator("nav.bd-docs-nav a.reference.internal")
        hrefs = [Path(h).stem if h != "#" else NOTEBOOK_NAMES[3]  # the page itself links to "#"
                 for h in links.evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")]
        assert [h for h in hrefs if h in NOTEBOOK_NAMES] == NOTEBOOK_NAMES
        texts = [re.sub(r"\s+", " ", t).strip() for t in links.all_inner_texts()]
        assert [_title(n) for n in NOTEBOOK_NAMES if _title(n) not in texts] == []
        assert page.locator("nav.bd-docs-nav a.current").inner_text().strip() == _title(NOTEBOOK_NAMES[3])
        assert Path(page.locator("a.left-prev").get_attribute("href")).stem == NOTEBOOK_NAMES[2]
        page.locator("a.right-next").click()
        page.wait_for_url(f"**/{NOTEBOOK_NAMES[4]}.html")
        assert page.locator("h1").first.inner_text().strip().startswith(_title(NOTEBOOK_NAMES[4])[:20])
        page.locator("nav.bd-docs-nav a", has_text=_title(NOTEBOOK_NAMES[-1])).click()
        page.wait_for_url(f"**/{NOTEBOOK_NAMES[-1]}.html")
        assert outside == [] and errors == [], (outside, errors)
    finally:
        context.close()


def _mentions(name: str, word: str) -> bool:
    """The word is in a cell's source or in a printed output (the site shows, and indexes, both)."""
    for cell in _notebook(name)["cells"]:
        texts = ["".join(cell["source"])] + ["".join(o.get("text", "")) + "".join(o.get("data", {}).get(
            "text/plain", "")) for o in cell.get("outputs", [])]
        if any(word in t for t in texts):
            return True
    return False


@pytest.mark.parametrize("serve", ["file", "http"])
def test_search_for_running_var_finds_the_chapters_that_use_it(site: Path, browser: Any, serve: str) -> None:
    """Sphinx's search runs in the page from its own index: the hits are exactly the notebooks that show the word."""
    expected = {n for n in NOTEBOOK_NAMES if _mentions(n, "running_var")}
    assert len(expected) >= 3
    with static_server(site) as base:
        url = (site / "search.html").as_uri() if serve == "file" else base + "search.html"
        context, page, outside, errors = _visit(browser, url + "?q=running_var")
        try:
            page.wait_for_selector("#search-results p.search-summary", timeout=20_000)
            hits = page.locator("#search-results li a").evaluate_all("(as) => as.map((a) => a.getAttribute('href'))")
            found = {Path(h.split("?")[0].split("#")[0]).stem for h in hits}
            assert found == expected, f"search for running_var found {sorted(found)}, expected {sorted(expected)}"
            assert outside == [] and errors == [], (outside, errors)
        finally:
            context.close()


def _widget_notebook() -> str:
    return next(n for n in NOTEBOOK_NAMES if _notebook(n)["metadata"].get("widgets"))


def test_widgets_show_their_saved_state(site: Path, browser: Any) -> None:
    """A notebook's widgets are drawn from the state saved in it: each view, its control values and its output."""
    name = _widget_notebook()
    state = _notebook(name)["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m for m in state.values() if "normlab-output-text" in m["state"].get("_dom_classes", [])]
    context, page, outside, errors = _visit(browser, (site / "notebooks" / f"{name}.html").as_uri())
    try:
        page.wait_for_selector(".normlab-output-text .widget-html-content", timeout=30_000)
        shown = page.locator(".normlab-output-text .widget-html-content").all_text_contents()
        saved = [re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", m["state"]["value"]))) for m in outputs]
        assert [re.sub(r"\s+", "", s) for s in shown] == saved
        buttons = [m["state"] for m in state.values() if m["model_name"] == "ToggleButtonsModel"]
        for b in buttons:
            pressed = page.locator(".widget-toggle-buttons button.mod-active").all_inner_texts()
            assert b["_options_labels"][b["index"]] in [p.strip() for p in pressed]
        assert page.get_by_text("Error displaying widget").count() == 0
        assert outside == [] and errors == [], (outside, errors)
    finally:
        context.close()


def test_math_is_typeset_offline(site: Path, browser: Any) -> None:
    """MathJax (pinned, in the site) typesets every formula of the page with the most of them."""
    name = max(NOTEBOOK_NAMES, key=lambda n: sum("".join(c["source"]).count("$") for c in _notebook(n)["cells"]))
    context, page, outside, errors = _visit(browser, (site / "notebooks" / f"{name}.html").as_uri())
    try:
        page.wait_for_function("() => window.MathJax && MathJax.isReady", timeout=30_000)
        page.evaluate("() => new Promise((done) => MathJax.Hub.Queue(done))")
        formulas = page.locator("span.math, div.math").count()
        assert formulas > 10
        assert page.locator(".MathJax_CHTML").count() >= formulas
        assert page.locator(".MathJax_Error, .merror").count() == 0
        assert outside == [] and errors == [], (outside, errors)
    finally:
        context.close()


def test_download_gives_the_notebook_and_run_page_has_the_install_lines(site: Path, browser: Any) -> None:
    """Each chapter offers its .ipynb, byte for byte; "Run the notebooks yourself" carries the README's commands."""
    name = NOTEBOOK_NAMES[1]
    context, page, outside, errors = _visit(browser, (site / "notebooks" / f"{name}.html").as_uri())
    try:
        link = page.locator(f"a[href$='{name}.ipynb']").first
        target = (site / "notebooks" / link.get_attribute("href")).resolve()
        assert target.read_bytes() == (NOTEBOOKS / f"{name}.ipynb").read_bytes()
        page.goto((site / "running.html").as_uri())
        text = page.locator("article").inner_text()
        assert "make lab" in text and "make test" in text and "pip install" in text
        assert outside == [] and errors == [], (outside, errors)
    finally:
        context.close()


def test_every_page_loads_offline_without_errors(site: Path, browser: Any) -> None:
    """No page of the site asks another host for anything or logs a script error."""
    pages = sorted(site.glob("*.html")) + sorted((site / "notebooks").glob("*.html"))
    assert len(pages) >= len(NOTEBOOK_NAMES) + 2
    bad = []
    for path in pages:
        context, page, outside, errors = _visit(browser, path.as_uri())
        page.wait_for_timeout(300)
        if outside or errors:
            bad.append((path.name, outside, errors))
        context.close()
    assert bad == []
