"""normlab's from-scratch functional ops vs torch's fused kernels, timed interleaved in one process.

The rows time normlab.functional (the fast path, normlab.fast) against torch; `readable_normalize_fwd_bwd` times
the readable normlab.core.normalize, autograd through its plain ops, so that the cost of readability shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from benchmarks.timing import interleaved, median
from normlab import functional as nlF
from normlab.core import normalize

__all__ = ["ln", "CASES", "Case", "run_ratios"]

Op = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Case:
    """One benchmark: an input shape, the pair of ops to compare, how to call them, and whether to backprop."""

    shape: tuple[int, ...]
    ours: Op
    theirs: Op
    call: Callable[[Op, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    backward: bool = False


def _bn(op: Op, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    return op(x, torch.zeros(c), torch.ones(c), w, b, True)  # training mode, running stats updated


def ln(op: Op, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return op(x, (x.shape[-1],), w, b)


def _gn8(op: Op, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return op(x, 8, w, b)


def _readable_ln(x: torch.Tensor, shape: tuple[int, ...], w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """LayerNorm over the last dim as the readable normalize writes it."""
    return normalize(x, -1, weight=w, bias=b)


CASES: dict[str, Case] = {
    "batch_norm2d_fwd": Case((32, 64, 56, 56), nlF.batch_norm, F.batch_norm, _bn),
    "batch_norm2d_fwd_bwd": Case((32, 64, 56, 56), nlF.batch_norm, F.batch_norm, _bn, backward=True),
    "batch_norm1d_fwd": Case((256, 1024), nlF.batch_norm, F.batch_norm, _bn),
    "layer_norm_fwd": Case((32, 128, 768), nlF.layer_norm, F.layer_norm, ln),
    "layer_norm_fwd_bwd": Case((32, 128, 768), nlF.layer_norm, F.layer_norm, ln, backward=True),
    "group_norm_fwd": Case((32, 64, 56, 56), nlF.group_norm, F.group_norm, _gn8),
    "readable_normalize_fwd_bwd": Case((32, 128, 768), _readable_ln, F.layer_norm, ln, backward=True),
}


def _runner(case: Case, op: Op) -> Callable[[], None]:
    """A zero-argument closure running one forward (and backward) on fixed float32 inputs."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(case.shape, generator=gen)
    p = x.shape[-1] if case.call is ln else x.shape[1]
    w, b = torch.rand(p, generator=gen) + 0.5, torch.randn(p, generator=gen)
    if not case.backward:
        return lambda: case.call(op, x, w, b)
    grad = torch.randn(case.shape, generator=gen)
    leaves = [t.requires_grad_() for t in (x, w, b)]

    def step() -> None:
        for t in leaves:
            t.grad = None
        case.call(op, x, w, b).backward(grad)

    return step


def case_times(case: Case, repeats: int, warmup: int = 2) -> tuple[list[float], list[float]]:
    """Seconds per call for normlab and torch, alternating which goes first so drift hits both alike."""
    return interleaved(_runner(case, case.ours), _runner(case, case.theirs), repeats, warmup)


def run_ratios(repeats: int = 15) -> dict[str, dict[str, float]]:
    """Per case: median ms of normlab and of torch, and the median of the per-repeat ratios normlab / torch."""
    out = {}
    for name, case in CASES.items():
        t_ours, t_theirs = case_times(case, repeats)
        # Each repeat's pair ran back to back, so its ratio cancels most load from other processes.
        ratio = median([a / b for a, b in zip(t_ours, t_theirs, strict=True)])
        out[name] = {"normlab_ms": 1e3 * median(t_ours), "torch_ms": 1e3 * median(t_theirs), "ratio": ratio}
    return out
