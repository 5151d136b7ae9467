"""The expected widget contents, computed outside the browser: run the notebook's cells in a kernel of its own,
then apply the same control changes the browser will make to the same NormlabWidget instances and record what they
render. One probe kernel serves every notebook of a test process (its namespace reset between notebooks): a kernel
start and the import of torch cost seconds, the reset nothing."""

from __future__ import annotations

import atexit
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import start_new_kernel

__all__ = ["probe_notebook", "WIDGET_VIEW"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARK = "NORMLAB-PROBE:"
_KERNELS: dict[str, Any] = {}  # notebook directory -> kernel client, started on first use

# Runs before the notebook: remember every NormlabWidget in creation order (= the order the cells display them).
RECORD = """
get_ipython().run_line_magic("reset", "-f")
import normlab.widgets.base as _nlb
_nlb._probe_widgets = []
if not hasattr(_nlb.NormlabWidget, "_probe_init"):
    _nlb.NormlabWidget._probe_init = _nlb.NormlabWidget.__init__
    def _nl_probe_record(self, *args, **kwargs):
        _nlb._probe_widgets.append(self)
        _nlb.NormlabWidget._probe_init(self, *args, **kwargs)
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

import normlab.widgets.base as _nlb
print("NORMLAB-PROBE:" + _json.dumps([_nl_plan(w) for w in _nlb._probe_widgets]))
"""


def _client(directory: Path) -> Any:
    """The probe kernel for notebooks in this directory, started once (the Lab kernel's environment)."""
    if str(directory) not in _KERNELS:
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the same kernel environment as the Lab's
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(directory), env=env)
        atexit.register(lambda: (client.stop_channels(), manager.shutdown_kernel(now=True)))
        _KERNELS[str(directory)] = client
    return _KERNELS[str(directory)]


def _run(client: Any, code: str, deadline: float) -> list[dict[str, Any]]:
    """Execute code; return its output messages (stream, display, result); raise if it raises or takes too long."""
    msg_id = client.execute(code, store_history=False)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            raise RuntimeError(f"the probe kernel raised {content['ename']}: {content['evalue']}\n{code[:300]}")
        if kind in ("stream", "display_data", "execute_result"):
            outputs.append(content)
        if kind == "status" and content["execution_state"] == "idle":
            return outputs


def probe_notebook(path: Path, timeout: int = 300) -> dict[str, Any]:
    """Run the notebook at `path` (in its own directory) cell by cell; return the widget plans and view count."""
    nb = nbformat.read(path, as_version=4)
    client, deadline = _client(path.parent), time.monotonic() + timeout
    _run(client, RECORD, deadline)
    views = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            views += sum(WIDGET_VIEW in out.get("data", {}) for out in _run(client, cell.source, deadline))
    text = "".join(out.get("text", "") for out in _run(client, PLAN, deadline) if out.get("name") == "stdout")
    plans = json.loads(text.split(MARK, 1)[1])
    return {"widgets": plans, "views": views}
