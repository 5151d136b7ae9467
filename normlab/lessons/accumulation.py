"""Gradient accumulation is not a big batch: k micro-batches through a layer, against one batch k times larger.

`accumulate_vs_big(make_layer, x, dout, k)` runs the whole batch through one copy of the layer and k equal
micro-batches (gradients accumulated) through another, with the loss sum(output · dout), so that the big batch's
loss is the sum of the micro-batches' losses. It reports the largest difference in outputs, input gradients,
parameter gradients and running statistics.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Accumulation", "accumulate_vs_big"]


@dataclass(frozen=True)
class Accumulation:
    """Max |big batch - accumulated micro-batches| of each quantity (None where the layer has no such tensor)."""

    layer: str
    micro_batches: int
    output: float
    input_grad: float
    weight_grad: float | None
    running_mean: float | None

    @property
    def agrees(self) -> bool:
        diffs = (self.output, self.input_grad, self.weight_grad, self.running_mean)
        return all(d is None or d < 1e-5 for d in diffs)


def _diff(a: torch.Tensor | None, b: torch.Tensor | None) -> float | None:
    return None if a is None else (a - b).abs().max().item()


def accumulate_vs_big(make_layer: Callable[[], nn.Module], x: torch.Tensor, dout: torch.Tensor,
                      k: int) -> Accumulation:
    """One batch of len(x) against k accumulated micro-batches of len(x) / k, through two copies of one layer."""
    if len(x) % k:
        raise ValueError(f"{len(x)} samples cannot be split into k={k} equal micro-batches; pick a divisor of "
                         f"{len(x)}.")
    big = make_layer()
    small = copy.deepcopy(big)
    xb, xs = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_big = big(xb)
    out_big.backward(dout)
    outs = []
    for chunk, grad in zip(xs.chunk(k), dout.chunk(k), strict=True):  # gradients add up in .grad
        out = small(chunk)
        out.backward(grad)
        outs.append(out.detach())
    has_weight = getattr(big, "weight", None) is not None
    return Accumulation(type(big).__name__, k, _diff(out_big.detach(), torch.cat(outs)), _diff(xb.grad, xs.grad),
                        _diff(big.weight.grad, small.weight.grad) if has_weight else None,
                        _diff(getattr(big, "running_mean", None), getattr(small, "running_mean", None)))
