"""Test-wide settings (a non-interactive matplotlib backend), the torch reference every comparison uses (the `ref`
fixture: its tolerances and helpers), and a closing line counting what ran, by kind.

The tests mirror the package: tests/library, tests/lessons, tests/pictures, tests/widgets, tests/check, and
tests/course for the notebooks themselves; tests/browser drives the real JupyterLab.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import torch
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")
# The property tests draw the same examples on every run and every machine, so CI cannot pass or fail by the luck of
# the draw; HYPOTHESIS_PROFILE=explore draws new ones each run (for hunting bugs, not for CI).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))



class Reference:
    """normlab's results against a reference (torch's, or another exact formula), at the tolerance of their dtype."""

    # Against torch: float32 within a few rounding steps of torch's own kernels, float64 nearly exact; half precision
    # (computed in float32, rounded once) at torch.testing's own bounds for it.
    TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-4}, torch.float64: {"atol": 1e-10, "rtol": 1e-9},
           torch.float16: {"atol": 1e-5, "rtol": 1e-3}, torch.bfloat16: {"atol": 1e-5, "rtol": 1.6e-2}}
    # Two exact formulas evaluated in a different order (the readable normalize and the fast one, gradients of
    # gradients included): the rounding of each order adds up, so a little more room.
    FORMULAS = {torch.float32: {"atol": 2e-5, "rtol": 1e-4}, torch.float64: {"atol": 1e-9, "rtol": 1e-7}}

    def same(self, a: torch.Tensor, b: torch.Tensor, slack: float = 0.0, tol: dict | None = None) -> None:
        """Equal dtype and shape, and values within the dtype's tolerance (plus a rounding slack, e.g. torch's own)."""
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
        if not b.is_floating_point():  # counts (num_batches_tracked): exact
            assert torch.equal(a, b), (a, b)
            return
        t = (tol or self.TOL)[b.dtype]
        torch.testing.assert_close(a, b, atol=t["atol"] + 2 * slack, rtol=t["rtol"], equal_nan=True)

    @staticmethod
    def double(t: object) -> object:
        """A floating tensor in float64 (anything else as it is)."""
        return t.double() if isinstance(t, torch.Tensor) and t.is_floating_point() else t

    def agree(self, ours, theirs, *inputs) -> None:  # noqa: ANN001 - any two functions of the same inputs
        """ours(*inputs) equals theirs(*inputs); in float32 the slack is torch's own error against float64 torch."""
        b = theirs(*inputs)
        slack = 0.0
        if b.dtype == torch.float32 and b.numel():
            slack = (b.double() - theirs(*map(self.double, inputs))).abs().max().item()
        self.same(ours(*inputs), b, slack)

    @staticmethod
    def grads(fn, *inputs: torch.Tensor) -> list[torch.Tensor]:  # noqa: ANN001
        """Gradients of sum(fn(...) * fixed random weights) w.r.t. every input."""
        inputs = [t.detach().clone().requires_grad_(True) for t in inputs]
        out = fn(*inputs)
        w = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=out.dtype)
        return list(torch.autograd.grad((out * w).sum(), inputs))

    def agree_grads(self, ours, theirs, *inputs) -> None:  # noqa: ANN001
        """Gradients equal torch's, within torch's own float32 error against float64 torch where that is larger."""
        exact = self.grads(theirs, *map(self.double, inputs))
        for a, t, r in zip(self.grads(ours, *inputs), self.grads(theirs, *inputs), exact, strict=True):
            slack = (t.double() - r).abs().max().item() if t.dtype == torch.float32 and t.numel() else 0.0
            scale = max(1.0, r.abs().max().item()) if r.numel() else 1.0
            self.same(a, t, slack + self.TOL[t.dtype]["atol"] * scale)


@pytest.fixture(scope="session")
def ref() -> Reference:
    """The torch reference: `ref.same(ours, torch's)`, `ref.agree(f, torch_f, *inputs)`, its tolerances."""
    return Reference()


UNIT = "unit tests"
KINDS = {"notebooks/": "nbval cells", "tests/browser/": "real-browser tests"}  # by where the test lives
OUTCOMES = ("passed", "failed", "error", "skipped")


def _kind(nodeid: str) -> str:
    """unit tests, nbval cells or real-browser tests, from where the test lives."""
    return next((kind for prefix, kind in KINDS.items() if nodeid.startswith(prefix)), UNIT)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per kind (unit, nbval, browser) with its outcomes, so a run shows that each kind really ran."""
    counts: dict[str, Counter] = {}
    notebooks = set()
    for outcome in OUTCOMES:
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid or (outcome == "passed" and report.when != "call"):
                continue
            counts.setdefault(_kind(nodeid), Counter())[outcome] += 1
            if nodeid.startswith("notebooks/"):
                notebooks.add(nodeid.split("::", 1)[0])
    if not counts:
        return
    terminalreporter.section("what ran", sep="-")
    n = len(notebooks)
    for kind in (UNIT, *KINDS.values()):
        c = counts.get(kind, Counter())
        where = f" in {n} notebook{'s' * (n != 1)}" if kind == KINDS["notebooks/"] else ""
        terminalreporter.write_line(f"{kind}{where}: " + ", ".join(f"{c[o]} {o}" for o in OUTCOMES))
