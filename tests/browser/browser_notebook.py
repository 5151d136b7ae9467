"""One notebook in a real JupyterLab and a real browser: what a browser proves that nbval does not.

nbval already executes every cell and compares every stored output. The browser adds what nbval cannot see:
1. the notebook as a learner opens it renders: every stored picture draws, no output is an error;
2. its widgets work live: the setup cell and the widget cells are run in the Lab (click, Ctrl+Enter), every widget
   control is moved as a person moves it, and the widget's own output must show what an independent kernel
   computes for the same change (that kernel runs the same cells: a copy holding only them);
3. no "Error displaying widget" anywhere. A failing notebook leaves a full-page screenshot in build/screenshots/
   (every notebook does with NORMLAB_SCREENSHOTS=1: a screenshot costs about a second of a `make test` worker).
The heavy cells (training runs, processes) run once, under nbval, not again in the browser.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from browser_lab import NOTEBOOKS, LabServer
from browser_page import (
    change_control,
    error_outputs,
    expected_state,
    open_notebook,
    pictures,
    run_cells,
    screenshot_full,
    wait_for_state,
    widget_states,
    widget_views,
)
from browser_probe import WIDGET_VIEW, probe_notebook
from playwright.sync_api import expect

__all__ = ["NAMES", "HALVES", "widget_cells", "live_copy", "check_notebook"]

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
# `make test` runs with --dist loadfile: each half in its own test file goes to its own worker (and JupyterLab).
HALVES = (NAMES[0::2], NAMES[1::2])


def _is_widget_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", []))


def stored_pictures(nb: Any) -> int:
    """How many pictures the notebook's stored outputs hold that an untrusted notebook shows (outside widgets):
    normlab's (an <img> in HTML) and PNG figures. A bare image/svg+xml (d2l's live plot) is shown only once the
    cell has run in the learner's own kernel."""
    return sum("image/png" in o.get("data", {}) or {"text/html", "image/svg+xml"} <= set(o.get("data", {}))
               for c in nb.cells if c.cell_type == "code" and not _is_widget_cell(c) for o in c.get("outputs", []))


def widget_cells(nb: Any) -> list[int]:
    """Indices of the setup cell (the first code cell) and of every cell whose stored output is a widget."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    widgets = [i for i in code if _is_widget_cell(nb.cells[i])]
    return [code[0], *widgets] if widgets else []


def live_copy(path: Path, cells: list[int]) -> Path:
    """A copy of the notebook holding only these cells, for the probe kernel."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [nb.cells[i] for i in cells]
    target = path.with_name(path.stem + ".live.ipynb")
    nbformat.write(nb, target)
    return target


def match_widgets(page: Any, states: list[dict], plans: list[dict]) -> list[dict]:
    """Pair each widget on the page with the probe's widget of the same name showing the same start content."""
    unused, paired = list(plans), []
    for state in states:
        same_name = [p for p in unused if p["name"] == state["name"]]
        assert same_name, f"the page shows a normlab-{state['name']} widget the notebook did not create"
        exact = [p for p in same_name if expected_state(page, p["start"]) == {"text": state["text"]}]
        chosen = (exact or same_name)[0]
        unused.remove(chosen)
        paired.append(chosen)
    return paired


def check_pictures(notebook: str, nb: Any, page: Any) -> None:
    """Every stored picture is on the page and drew (the notebook is not trusted, as in a fresh clone)."""
    want, shown = stored_pictures(nb), {}
    for _ in range(100):  # the pictures arrive as the output areas render
        shown = pictures(page)
        if shown["images"] + shown["inline_svgs"] >= want and shown["drawn"] == shown["images"]:
            break
        page.wait_for_timeout(100)
    assert shown["images"] + shown["inline_svgs"] >= want, f"{notebook}: {shown} pictures shown, {want} stored"
    assert shown["drawn"] == shown["images"], f"{notebook}: a stored picture did not draw ({shown})"


def drive_widgets(page: Any, expected: dict) -> None:
    """Change each control of each live widget as a person would; each time compare with the probe's result."""
    expect(widget_views(page)).to_have_count(expected["views"], timeout=30_000)
    plans = match_widgets(page, widget_states(page), expected["widgets"])
    for i, plan in enumerate(plans):
        label = f"{plan['cls']} (#{i + 1} on the page)"
        wait_for_state(page, i, plan["start"], f"{label} after running its cell")
        assert plan["steps"], f"{label}: no control the test knows how to change ({plan['skipped']})"
        for step in plan["steps"]:
            change_control(page, i, step)
            wait_for_state(page, i, step, f"{label}: {step['control']} ({step['type']}) -> {step['value']}")
        assert any(s["html"] != plan["start"]["html"] for s in plan["steps"]), \
            f"{label}: no control change changed its output area"


def check_notebook(notebook: str, lab: LabServer, page: Any, screenshots: Path) -> None:
    """Open the notebook, check its stored outputs, run its widget cells and drive every widget."""
    path = lab.root / notebook
    nb = nbformat.read(path, as_version=4)
    cells = widget_cells(nb)
    passed = False
    with ThreadPoolExecutor(1) as pool:
        probe = pool.submit(probe_notebook, live_copy(path, cells)) if cells else None
        try:
            open_notebook(page, lab.notebook_url(notebook))
            expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(len(nb.cells), timeout=30_000)
            check_pictures(notebook, nb, page)
            if probe is not None:
                run_cells(page, cells)
                drive_widgets(page, probe.result())
            assert error_outputs(page) == [], f"{notebook}: error outputs"
            passed = True
        finally:
            if not passed or os.environ.get("NORMLAB_SCREENSHOTS") == "1":
                screenshot_full(page, str(screenshots / f"{Path(notebook).stem}.png"))
            lab.shutdown_kernels()
