"""normlab.core.normalize, the same function made fast: equal values and gradients, fewer passes over memory.

`normalize` here gives exactly what the readable `normlab.core.normalize` gives (tests/library/test_fast.py holds them
equal: values, gradients and second-order gradients on random shapes and dims); normlab.functional and
normlab.nn call this one. What is done for speed, and the measurement behind each choice (torch profiler, 2
threads, this project's 2-core CPU; README "Performance"):

- The backward is the closed form of the chain rule, dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)), in a
  few passes, instead of autograd's dozen full-size ops through the forward (notebook 08 derives it).
- Sums run over the trailing dims first (`ops.sum_over`): one strided CPU reduction over BatchNorm2d's (0, 2, 3) took
  0.58 ms, the trailing (2, 3) then dim 0 0.34 ms; the sum of squares 2.0 ms against 0.4 ms.
- Nothing to differentiate: the forward writes into the tensor it has just made instead of allocating fresh ones
  (`x * m` 0.50 ms, `x.mul_(m)` 0.09 ms for LayerNorm's shape: fresh memory costs page faults), and with one
  gamma per group gamma / std is folded into one factor, one pass instead of two.
- One gamma per row: `mul_` then `add_` (0.52 ms) rather than a broadcast `addcmul` (1.85 ms).
- The variance stays the mean of centred squares: E[x^2] - E[x]^2 cancels catastrophically when |mean| >> std,
  and torch.var_mean (one Welford pass) took 17.7 ms on GroupNorm's benchmark input.

The package: `ops` (the sums, gamma and beta), `forward` and `backward` (one function per case); here, the public
functions and the autograd.Function that joins forward and backward. It imports torch and normlab.errors only.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from normlab.errors import check_dims
from normlab.fast.backward import (
    Saved,
    backward_per_element,
    backward_per_group,
    grads_through_autograd,
    per_group,
)
from normlab.fast.forward import forward_inference, forward_saving
from normlab.fast.ops import affine, count_per_stat, opmath

__all__ = ["normalize", "normalize_checked", "normalize_with_stats", "affine", "opmath", "count_per_stat"]


def normalize(x: torch.Tensor, dims: int | Sequence[int], eps: float = 1e-5, *, center: bool = True,
              weight: torch.Tensor | None = None, bias: torch.Tensor | None = None) -> torch.Tensor:
    """normlab.core.normalize, computed fast."""
    return normalize_checked(x, check_dims(x, dims), eps, center, weight, bias)


def normalize_checked(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool = True,
                      weight: torch.Tensor | None = None, bias: torch.Tensor | None = None) -> torch.Tensor:
    """normalize on dims already checked (sorted, non-negative), as normlab.functional calls it after its own door;
    an input with no elements stays empty."""
    if x.numel() == 0:
        return affine(x * 1, weight, bias)
    return normalize_with_stats(x, dims, eps, center, weight, bias)[0]


def normalize_with_stats(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool = True,
                         weight: torch.Tensor | None = None,
                         bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalized (and scaled and shifted) x, with the batch mean and biased variance for running statistics."""
    xf = opmath(x)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (xf, weight, bias)):
        y, mean, var = _Normalize.apply(xf, dims, eps, center, weight, bias)
    else:  # nothing to differentiate: skip the autograd.Function's bookkeeping
        with torch.no_grad():
            y, mean, var = forward_inference(xf, dims, eps, center, weight, bias)
    return y.to(x.dtype), mean, var


class _Normalize(torch.autograd.Function):
    """y = x_hat * weight + bias, x_hat = (x - mean) / sqrt(var + eps) over dims, with a closed-form backward.

    Autograd could differentiate the forward's elementary ops by itself (a dozen full-size backward ops); the
    chain rule through mean and var sums up to one formula that needs a few passes (see the backward cases).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool,
                weight: torch.Tensor | None, bias: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        y, x_hat, mean, var, rstd = forward_saving(x, dims, eps, center, weight, bias)
        ctx.save_for_backward(x, x_hat, rstd, weight, bias)
        ctx.args = (dims, eps, center)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, g: torch.Tensor, *_: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, x_hat, rstd, weight, bias = ctx.saved_tensors
        dims, eps, center = ctx.args
        if torch.is_grad_enabled():  # create_graph=True: autograd through the plain forward, exact to any order
            return grads_through_autograd(g, x, weight, bias, dims, eps, center, ctx.needs_input_grad)
        need_x, _, _, _, need_w, need_b = ctx.needs_input_grad
        saved = Saved(x_hat, rstd, weight, bias, dims, center)
        if weight is None or per_group(weight, g.dim(), dims):
            dx, dw, db = backward_per_group(g, saved, need_x, need_w, need_b)
        else:
            dx, dw, db = backward_per_element(g, saved, need_x, need_w, need_b)
        return dx, None, None, None, dw, db
