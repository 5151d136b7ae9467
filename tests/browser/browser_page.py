"""What a person does in JupyterLab, as Playwright steps: open, Run All, read and move the normlab widgets."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Locator, Page, expect

__all__ = ["open_notebook", "run_all", "run_cells", "widget_states", "expected_state", "pictures", "wait_for_state",
           "change_control", "error_outputs", "widget_views", "screenshot_full"]

TIMEOUT_MS = 120_000  # a whole notebook runs within this; also the bound for every single wait below

# One entry per normlab widget in the notebook, in page order: its name and what its own output area shows (the
# HTML's textContent: the words, numbers and SVG picture texts).
STATES_JS = """
() => [...document.querySelectorAll(".jp-Notebook .normlab-output")].map((area) => {
  const cls = [...area.parentElement.classList].find((c) => c.startsWith("normlab-"));
  const text = area.querySelector(".normlab-output-text .widget-html-content");
  return {name: cls ? cls.slice("normlab-".length) : null, text: text ? text.textContent : null};
})
"""

# Stored outputs as JupyterLab renders them: SVG pictures (as <img> or inline), PNG figures, and whether each drew.
PICTURES_JS = """
async () => {
  const imgs = [...document.querySelectorAll(".jp-Notebook .jp-OutputArea-output img")];
  const drawn = await Promise.all(imgs.map(async (img) => { try { await img.decode(); } catch (e) { return false; }
                                                          return img.naturalWidth > 0; }));
  const svgs = document.querySelectorAll(".jp-Notebook .jp-RenderedSVG svg, .jp-Notebook .jp-RenderedImage svg");
  return {images: imgs.length, drawn: drawn.filter(Boolean).length, inline_svgs: svgs.length};
}
"""

TEXT_OF_HTML_JS = "(html) => { const d = document.createElement('div'); d.innerHTML = html; return d.textContent; }"


def open_notebook(page: Page, url: str) -> None:
    """Open a notebook and wait until its kernel really exists and is idle (the status bar, not the toolbar)."""
    page.goto(url)
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(".jp-NotebookPanel"), "one notebook open (a fresh workspace)").to_have_count(1, timeout=30_000)
    expect(page.locator(".jp-StatusBar-Widget")).to_contain_text("| Idle", timeout=TIMEOUT_MS)


def run_all(page: Page, code_cells: int) -> None:
    """Run > Run All Cells, then wait for every code cell to show an execution count and the kernel to be idle."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt")
    expect(prompts).to_have_count(code_cells, timeout=TIMEOUT_MS)
    expect(prompts).to_have_text([f"[{i}]:" for i in range(1, code_cells + 1)], timeout=TIMEOUT_MS)
    expect(page.locator(".jp-StatusBar-Widget")).to_contain_text("| Idle", timeout=TIMEOUT_MS)


def run_cells(page: Page, indices: list[int]) -> None:
    """Run these cells one by one as a person does (click into the cell, Ctrl+Enter), each to its prompt number."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    for count, i in enumerate(indices, start=1):
        cell = cells.nth(i)
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        expect(cell.locator(".jp-InputPrompt")).to_have_text(f"[{count}]:", timeout=TIMEOUT_MS)
    expect(page.locator(".jp-StatusBar-Widget")).to_contain_text("| Idle", timeout=TIMEOUT_MS)


def widget_states(page: Page) -> list[dict[str, Any]]:
    """What every normlab widget's own output area shows now."""
    return page.evaluate(STATES_JS)


def expected_state(page: Page, state: dict[str, Any]) -> dict[str, Any]:
    """A probe state (the output's HTML) in the form the page reports it (its text content)."""
    return {"text": page.evaluate(TEXT_OF_HTML_JS, state["html"])}


def pictures(page: Page) -> dict[str, int]:
    """How many stored pictures the page shows, and how many of the <img> ones decoded to a real image."""
    return page.evaluate(PICTURES_JS)


def wait_for_state(page: Page, index: int, state: dict[str, Any], what: str, timeout: float = 20) -> None:
    """Wait until widget `index` shows `state` (its output's text); fail with a diff."""
    want = expected_state(page, state)
    deadline = time.monotonic() + timeout
    while True:
        states = widget_states(page)
        got = {k: states[index][k] for k in want} if index < len(states) else None
        if got == want or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert got == want, f"{what}: the widget's output area shows\n  {got}\nexpected\n  {want}"


def control(page: Page, widget: int, index: int) -> Locator:
    """The `index`-th control of the `widget`-th normlab widget (controls sit in the first row of its box)."""
    box = page.locator(".jp-Notebook .normlab-output").nth(widget).locator("xpath=..")
    return box.locator(":scope > :first-child > *").nth(index)


def change_control(page: Page, widget: int, step: dict[str, Any]) -> None:
    """Do what a person does: tick the box, pick the next option, or focus the slider handle and press an arrow."""
    ctrl = control(page, widget, step["index"])
    kind, typ = step["kind"], step["type"]
    if kind == "click":
        target = ctrl.locator("input[type=checkbox]") if typ == "Checkbox" else ctrl
        target.click()
    elif kind == "choose" and typ in ("Dropdown", "Select"):
        ctrl.locator("select").select_option(label=step["label"])
    elif kind == "choose" and typ == "ToggleButtons":
        ctrl.get_by_role("button", name=step["label"], exact=True).click()
    elif kind == "choose":
        ctrl.get_by_role("radio", name=step["label"], exact=True).check()
    elif kind == "key":
        ctrl.locator(".noUi-handle").first.focus()
        page.keyboard.press(step["key"])
    else:
        raise AssertionError(f"no browser action for {step}")


def error_outputs(page: Page) -> list[str]:
    """Every error or stderr output and every widget that failed to display."""
    found = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    body = page.locator("body").inner_text()
    if "Error displaying widget" in body:
        found.append("'Error displaying widget' appears on the page")
    return found


def widget_views(page: Page) -> Locator:
    """The outputs JupyterLab rendered as live widgets (without the widget extension they fall back to text)."""
    return page.locator(".jp-Notebook .jp-OutputArea-output:has(> .jupyter-widgets)")


def screenshot_full(page: Page, path: str) -> None:
    """Screenshot the whole notebook: JupyterLab scrolls inside a panel, so grow the viewport to fit all of it."""
    height = page.evaluate(
        "() => { const n = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');"
        " return n ? window.innerHeight - n.clientHeight + n.scrollHeight : document.body.scrollHeight; }"
    )
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.set_viewport_size({"width": width, "height": min(int(height) + 20, 16_000)})
    page.evaluate("() => document.querySelectorAll('.jp-WindowedPanel-outer').forEach((n) => n.scrollTo(0, 0))")
    page.wait_for_timeout(300)
    page.screenshot(path=path, full_page=True)
