"""The benchmark harness measures what it claims: like-for-like kernels, one render per control change."""

import ipywidgets as W
import numpy as np
import pytest
import torch

from benchmarks import kernels, timing
from benchmarks import widgets as bw
from normlab.widgets import NormlabWidget


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_median_and_p95_match_numpy(n):
    xs = list(np.random.default_rng(n).exponential(size=n))
    assert timing.median(xs) == pytest.approx(np.median(xs))
    assert timing.p95(xs) == pytest.approx(np.percentile(xs, 95))


@pytest.mark.parametrize("name", list(kernels.CASES))
def test_each_case_compares_like_with_like(name):
    """On a small input of the same rank, the normlab side and the torch side compute the same thing."""
    case = kernels.CASES[name]
    small = kernels.Case(tuple(min(s, 8) for s in case.shape), case.ours, case.theirs, case.call, case.backward)
    grads = []
    for op in (case.ours, case.theirs):
        torch.manual_seed(0)
        x = torch.randn(small.shape, requires_grad=True)
        p = x.shape[-1] if case.call is kernels.ln else x.shape[1]
        w, b = torch.rand(p) + 0.5, torch.randn(p)
        y = case.call(op, x, w, b)
        y.backward(torch.ones_like(y))
        grads.append((y.detach(), x.grad))
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-4)


CONTROLS = [W.IntSlider(1, 1, 9), W.IntSlider(3, 3, 4), W.FloatSlider(0.5, min=0.0, max=1.0),
            W.FloatLogSlider(1e-3, min=-6, max=0), W.Dropdown(options=["a", "b", "c"]),
            W.ToggleButtons(options=[("x", 1), ("y", 2)]), W.Checkbox(False)]


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: type(c).__name__)
def test_every_setter_changes_the_value_within_bounds(control):
    setters = bw.value_changes(control)
    for _ in range(20):
        before = control.value
        next(setters)()
        assert control.value != before
        if hasattr(control, "min"):
            lo, hi = (control.base ** control.min, control.base ** control.max) if hasattr(control, "base") else \
                (control.min, control.max)
            assert lo <= control.value <= hi


def test_free_text_is_not_driven():
    assert bw.value_changes(W.Text("x")) is None


class _Toy(NormlabWidget):
    """Fails for odd n, so the harness must count renders and messages separately."""

    name = "toy"

    def __init__(self) -> None:
        super().__init__({"n": W.IntSlider(2, 1, 8), "flag": W.Checkbox(False)})

    def compute(self):
        if self.controls["n"].value % 2:
            raise ValueError("odd")
        return "<p>even</p>"


def test_one_render_per_change_and_messages_counted():
    result = bw.time_widget(_Toy, changes=30)
    assert result["renders"] == 30
    assert 0 < result["messages"] < 30 and result["last_message"] == "ValueError: odd"
    assert result["controls"] == ["flag", "n"] and result["p95"] >= result["median"] > 0


def test_discover_finds_every_exported_widget():
    import normlab.widgets as NW

    exported = {n for n in NW.__all__ if isinstance(getattr(NW, n), type)
                and issubclass(getattr(NW, n), NormlabWidget) and getattr(NW, n) is not NormlabWidget}
    assert set(bw.discover()) == exported and exported
