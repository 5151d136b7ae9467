"""JupyterLab itself in a real browser: the token is required, and the projector style reaches the widgets.

Each notebook's own browser test is in test_notebooks_first_half.py and test_notebooks_second_half.py."""

from __future__ import annotations

from typing import Any

import nbformat
import pytest
from browser_lab import LabServer
from browser_page import open_notebook, run_all, widget_views
from playwright.sync_api import expect


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
    "import ipywidgets as W\nfrom normlab.pictures import style\nfrom normlab.widgets import NormlabWidget\n\n\n"
    "class Tiny(NormlabWidget):\n    name = 'tiny'\n\n    def compute(self):\n"
    "        return f\"<p>n = {self.controls['n'].value}</p>\"\n\n\n"
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
