"""The expected widget contents, computed outside the browser: run the notebook in its own kernel, then apply the
same control changes the browser will make to the same NormlabWidget instances and record what they render."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

__all__ = ["probe_notebook", "WIDGET_VIEW"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARK = "NORMLAB-PROBE:"

# Runs before the notebook: remember every NormlabWidget in creation order (= the order the cells display them).
RECORD = """
import normlab.widgets.base as _nlb
_nl_probe_widgets = []
_nl_probe_init = _nlb.NormlabWidget.__init__
def _nl_probe_record(self, *args, **kwargs):
    _nl_probe_widgets.append(self)
    _nl_probe_init(self, *args, **kwargs)
_nlb.NormlabWidget.__init__ = _nl_probe_record
"""

# Runs after the notebook: for each widget, change each visible control once (cumulatively, in the order the
# browser will) and record the widget's own output after every change.
PLAN = r"""
import json as _json, math as _math
import ipywidgets as _W

def _nl_state(w):
    return {"html": w.text.value}

def _nl_change(c):
    # What a person does to the control, then the same change applied in Python.
    if isinstance(c, (_W.Checkbox, _W.ToggleButton)):
        c.value = not c.value
        return {"kind": "click"}
    if isinstance(c, (_W.Dropdown, _W.Select, _W.RadioButtons, _W.ToggleButtons)):
        i = (c.index + 1) % len(c.options)
        c.index = i
        return {"kind": "choose", "label": c._options_labels[i]}
    if isinstance(c, _W.SelectionSlider):
        up = c.index < len(c.options) - 1
        c.index += 1 if up else -1
        return {"kind": "key", "key": "ArrowRight" if up else "ArrowLeft"}
    if isinstance(c, _W.FloatLogSlider):
        e = _math.log(c.value, c.base)
        up = e + c.step <= c.max
        c.value = c.base ** round(e + (c.step if up else -c.step), 12)
        return {"kind": "key", "key": "ArrowRight" if up else "ArrowLeft"}
    if isinstance(c, (_W.IntSlider, _W.FloatSlider)):
        up = c.value + c.step <= c.max
        new = c.value + (c.step if up else -c.step)
        # the slider's frontend snaps to the step grid and drops float noise (0.1 + 0.05 -> 0.15)
        c.value = new if isinstance(c, _W.IntSlider) else round(new, 12)
        return {"kind": "key", "key": "ArrowRight" if up else "ArrowLeft"}
    return None

def _nl_plan(w):
    out = {"name": w.name, "cls": type(w).__name__, "start": _nl_state(w), "steps": [], "skipped": []}
    for i, (key, c) in enumerate(w.controls.items()):
        if getattr(c, "disabled", False) or c.layout.display == "none" or c.layout.visibility == "hidden":
            continue
        action = _nl_change(c)
        if action is None:
            out["skipped"].append(f"{key}: {type(c).__name__}")
            continue
        out["steps"].append({"index": i, "control": key, "type": type(c).__name__, "value": repr(c.value),
                             **action, **_nl_state(w)})
    return out

print("NORMLAB-PROBE:" + _json.dumps([_nl_plan(w) for w in _nl_probe_widgets]))
"""


def probe_notebook(path: Path, timeout: int = 300) -> dict[str, Any]:
    """Execute the notebook at `path` (in its own directory) and return the widget plans and view count."""
    nb = nbformat.read(path, as_version=4)
    n = len(nb.cells)
    nb.cells = [nbformat.v4.new_code_cell(RECORD), *nb.cells, nbformat.v4.new_code_cell(PLAN)]
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the same kernel environment as the Lab's
    client.execute(env=env)
    views = sum(
        WIDGET_VIEW in out.get("data", {}) for cell in nb.cells[1 : n + 1] for out in cell.get("outputs", [])
    )
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout")
    plans = json.loads(text.split(MARK, 1)[1])
    return {"widgets": plans, "views": views}
