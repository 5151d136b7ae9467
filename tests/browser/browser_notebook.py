"""One notebook in a real JupyterLab and a real browser: Run All, move every widget control, check what it shows."""

from __future__ import annotations

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
    run_all,
    screenshot_full,
    wait_for_state,
    widget_states,
    widget_views,
)
from browser_probe import probe_notebook
from playwright.sync_api import expect

__all__ = ["NAMES", "HALVES", "check_notebook"]

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
# `make test` runs with --dist loadfile: each half in its own test file goes to its own worker (and JupyterLab).
HALVES = (NAMES[0::2], NAMES[1::2])


def code_cells(path: Path) -> int:
    """How many code cells the notebook has (each must show an execution count after Run All)."""
    return sum(cell.cell_type == "code" for cell in nbformat.read(path, as_version=4).cells)


def match_widgets(page: Any, states: list[dict], plans: list[dict]) -> list[dict]:
    """Pair each widget on the page with the probe's widget of the same name showing the same start content."""
    unused, paired = list(plans), []
    for state in states:
        same_name = [p for p in unused if p["name"] == state["name"]]
        assert same_name, f"the page shows a normlab-{state['name']} widget the notebook did not create"
        exact = [p for p in same_name if expected_state(page, p["start"]) == {k: state[k] for k in ("text", "png",
                                                                                                     "figure")}]
        chosen = (exact or same_name)[0]
        unused.remove(chosen)
        paired.append(chosen)
    return paired


def check_notebook(notebook: str, lab: LabServer, page: Any, screenshots: Path) -> None:
    """Run All, then change each widget control as a person would and compare with the probe kernel's result."""
    with ThreadPoolExecutor(1) as pool:
        # the expected contents come from a second, independent kernel running the same notebook meanwhile
        probe = pool.submit(probe_notebook, lab.root / notebook)
        try:
            open_notebook(page, lab.notebook_url(notebook))
            run_all(page, code_cells(lab.root / notebook))
            expected = probe.result()
            expect(widget_views(page)).to_have_count(expected["views"], timeout=30_000)
            page.wait_for_timeout(300)  # the last image bytes arrive after the text
            plans = match_widgets(page, widget_states(page), expected["widgets"])
            for i, plan in enumerate(plans):
                label = f"{plan['cls']} (#{i + 1} on the page)"
                wait_for_state(page, i, plan["start"], f"{label} after Run All")
                assert plan["steps"], f"{label}: no control the test knows how to change ({plan['skipped']})"
                for step in plan["steps"]:
                    change_control(page, i, step)
                    wait_for_state(page, i, step, f"{label}: {step['control']} ({step['type']}) -> {step['value']}")
                changed = [s for s in plan["steps"] if (s["html"], s["png"]) != (plan["start"]["html"],
                                                                                 plan["start"]["png"])]
                assert changed, f"{label}: no control change changed its output area"
            assert error_outputs(page) == []
        finally:
            screenshot_full(page, str(screenshots / f"{Path(notebook).stem}.png"))
