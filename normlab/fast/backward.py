"""normlab.fast's backward in closed form, one function per case: gamma constant over each group (BatchNorm,
GroupNorm) or per element (LayerNorm), and autograd through the plain forward for gradients of gradients.

Notebook 08 derives the formula these compute: dx = rstd * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from normlab.fast.forward import forward_recorded
from normlab.fast.ops import count_per_stat, sum_over

__all__ = ["Saved", "per_group", "backward_per_group", "backward_per_element", "grads_through_autograd"]


@dataclass(frozen=True)
class Saved:
    """What the forward keeps for the closed-form backward (x_hat and rstd keep their size-1 reduced dims)."""

    x_hat: torch.Tensor  # (x - mean) * rstd, x's shape
    rstd: torch.Tensor  # 1 / sqrt(var + eps), one per group
    weight: torch.Tensor | None  # gamma, viewed to broadcast over x
    bias: torch.Tensor | None  # beta, viewed to broadcast over x
    dims: tuple[int, ...]
    center: bool


def per_group(weight: torch.Tensor, ndim: int, dims: tuple[int, ...]) -> bool:
    """Is gamma the same for every element of a group (size 1 along every reduced dim), as BatchNorm's is?"""
    shape = (1,) * (ndim - weight.dim()) + tuple(weight.shape)
    return all(shape[d] == 1 for d in dims)


def backward_per_group(g: torch.Tensor, s: Saved, need_x: bool, need_w: bool,
                       need_b: bool) -> tuple[torch.Tensor | None, ...]:
    """dx, dgamma, dbeta when gamma is constant over each group (BatchNorm, GroupNorm): gamma leaves the means,

        dx = gamma * rstd * (g - mean(g) - x_hat * mean(g * x_hat)),

    and the two sums that make dx also give dbeta = sum(g) and dgamma = sum(g * x_hat). Two fewer full-size passes
    than the per-element case; for BatchNorm's small (N, C) batches the cost is mostly the number of tensor
    operations (`make bench` times a training step against torch's).
    """
    sum_g = sum_over(g, s.dims) if s.center or need_b else None  # sum(g), one per group
    g_x_hat = g * s.x_hat
    sum_g_x_hat = sum_over(g_x_hat, s.dims)  # sum(g * x_hat), one per group
    db = _sum_to(sum_g, s.bias) if need_b else None
    dw = _sum_to(sum_g_x_hat, s.weight) if need_w else None
    if not need_x:
        return None, dw, db
    scale = s.rstd if s.weight is None else s.rstd * s.weight  # gamma * rstd, one per group
    scale_over_n = scale / count_per_stat(g, s.dims)
    dx = torch.mul(g, scale, out=g_x_hat)  # gamma * rstd * g, into g_x_hat's memory (ours, no longer needed)
    dx.addcmul_(s.x_hat, sum_g_x_hat * scale_over_n, value=-1)  # - gamma * rstd * x_hat * mean(g * x_hat)
    if s.center:
        dx.sub_(sum_g * scale_over_n)  # - gamma * rstd * mean(g)
    return dx, dw, db


def backward_per_element(g: torch.Tensor, s: Saved, need_x: bool, need_w: bool,
                         need_b: bool) -> tuple[torch.Tensor | None, ...]:
    """dx, dgamma, dbeta when gamma differs within a group (LayerNorm's, one per feature): with g_hat = g * gamma,

        dx = rstd * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)):

    the direct path, then the paths through the mean and through the variance (cs231n's BatchNorm backward, for
    any reduction dims). Written into memory of our own: a fresh full-size tensor costs more than a pass over one.
    """
    db = g.sum_to_size(s.bias.shape) if need_b else None  # dbeta = sum of g over the batch
    g_x_hat = g * s.x_hat if need_w or need_x else None
    dw = g_x_hat.sum_to_size(s.weight.shape) if need_w else None  # dgamma = sum of g * x_hat over the batch
    if not need_x:
        return None, dw, db
    if need_w and dw.shape == g.shape:  # sum_to_size returned g_x_hat itself, which is overwritten below
        dw = dw.clone()
    n = count_per_stat(g, s.dims)
    g_hat = g * s.weight  # the gradient with respect to x_hat
    g_hat_x_hat = g_x_hat.mul_(s.weight)  # g_hat * x_hat, in g_x_hat's memory
    mean_g_hat_x_hat = sum_over(g_hat_x_hat, s.dims) / n
    mean_g_hat = sum_over(g_hat, s.dims) / n if s.center else None
    dx = torch.mul(s.x_hat, mean_g_hat_x_hat, out=g_hat_x_hat)  # x_hat * mean(g_hat * x_hat), same memory
    torch.sub(g_hat, dx, out=dx)  # g_hat - x_hat * mean(g_hat * x_hat)
    if s.center:
        dx.sub_(mean_g_hat)  # - mean(g_hat)
    return dx.mul_(s.rstd), dw, db


def _sum_to(s: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """s summed down to like's shape (BatchNorm's per-group sums already have it: no call then)."""
    return s if s.shape == like.shape else s.sum_to_size(like.shape)


def grads_through_autograd(g: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None,
                           bias: torch.Tensor | None, dims: tuple[int, ...], eps: float, center: bool,
                           needs: tuple[bool, ...]) -> tuple[torch.Tensor | None, ...]:
    """Gradients by autograd through the plain forward, so that they can be differentiated again."""
    inputs = {0: x, 4: weight, 5: bias}
    wanted = [i for i in inputs if needs[i]]
    y = forward_recorded(x, dims, eps, center, weight, bias)
    got = dict(zip(wanted, torch.autograd.grad(y, [inputs[i] for i in wanted], g, create_graph=True), strict=True))
    return tuple(got.get(i) for i in range(6))
