"""Every notebook in a real JupyterLab and a real browser: Run All, move every widget control, check what it shows."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest
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

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


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


@pytest.mark.parametrize("notebook", NAMES)
def test_notebook_in_jupyterlab(notebook: str, lab: LabServer, page: Any, screenshots: Path) -> None:
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


def test_lab_refuses_api_calls_without_token(lab: LabServer, browser: Any) -> None:
    """The server answers the API only with its token; without it the browser gets 403 and a login page."""
    context = browser.new_context()  # no cookie yet: a token request would log this context in
    try:
        assert context.request.get(f"{lab.base_url}/api/contents").status == 403
        page = context.new_page()
        page.goto(f"{lab.base_url}/lab")
        expect(page.get_by_label("Password or token:")).to_be_visible(timeout=30_000)
        assert "/login" in page.url
        assert context.request.get(lab.url("api/contents")).status == 200
    finally:
        context.close()


PROJECTOR_CELLS = [
    "import ipywidgets as W\nfrom normlab import style\nfrom normlab.widgets import NormlabWidget\n\n\n"
    "class Tiny(NormlabWidget):\n    name = 'tiny'\n\n    def compute(self):\n"
    "        return f\"<p>n = {self.controls['n'].value}</p>\", None\n\n\n"
    "Tiny({'n': W.IntSlider(3, description='n'), 'on': W.Checkbox(True, description='on')})",
    "W.IntSlider(3, description='plain')",
    "style.projector(2.0)",
]

SIZES_JS = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const tiny = document.querySelector('.normlab-tiny'), plain = document.querySelectorAll('.widget-slider')[1];
  return {label: px(tiny.querySelector('.widget-label')), plain: px(plain.querySelector('.widget-label')),
          text: px(tiny.querySelector('.normlab-output-text .widget-html-content')),
          handle: tiny.querySelector('.noUi-handle').getBoundingClientRect().height,
          plain_handle: plain.querySelector('.noUi-handle').getBoundingClientRect().height};
}"""


def test_projector_enlarges_widget_controls(lab: LabServer, page: Any) -> None:
    """After style.projector(2), a normlab widget's controls are twice the size of a plain ipywidget's."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in PROJECTOR_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, lab.root / "zz_projector_check.ipynb")  # the served temp copy, never notebooks/
    open_notebook(page, lab.notebook_url("zz_projector_check.ipynb"))
    run_all(page, len(PROJECTOR_CELLS))
    expect(widget_views(page)).to_have_count(2, timeout=30_000)
    expect(page.locator(".normlab-tiny .widget-html-content")).to_have_text("n = 3", timeout=30_000)
    sizes = page.evaluate(SIZES_JS)
    assert sizes["label"] == pytest.approx(2 * sizes["plain"], rel=0.1), sizes
    assert sizes["text"] >= sizes["label"] and sizes["handle"] > 1.5 * sizes["plain_handle"], sizes
