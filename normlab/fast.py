"""normlab.core.normalize, the same function made fast: equal values and gradients, fewer passes over memory.

`normalize` here gives exactly what the readable `normlab.core.normalize` gives (tests/test_fast.py holds them
equal: values, gradients and second-order gradients on random shapes and dims); normlab.functional and
normlab.nn call this one. What is done for speed, and the measurement behind each choice (torch profiler, 2
threads, this project's 2-core CPU; README "Performance"):

- The backward is the closed form of the chain rule, dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)), in a
  few passes, instead of autograd's dozen full-size ops through the forward (notebook 08 derives it).
- Sums run over the trailing dims first (`_sum`): one strided CPU reduction over BatchNorm2d's (0, 2, 3) took
  0.58 ms, the trailing (2, 3) then dim 0 0.34 ms; the sum of squares 2.0 ms against 0.4 ms.
- Nothing to differentiate: the forward writes into the tensor it has just made instead of allocating fresh ones
  (`x * m` 0.50 ms, `x.mul_(m)` 0.09 ms for LayerNorm's shape: fresh memory costs page faults), and with one
  gamma per group gamma / std is folded into one factor, one pass instead of two.
- One gamma per row: `mul_` then `add_` (0.52 ms) rather than a broadcast `addcmul` (1.85 ms).
- The variance stays the mean of centred squares: E[x^2] - E[x]^2 cancels catastrophically when |mean| >> std,
  and torch.var_mean (one Welford pass) took 17.7 ms on GroupNorm's benchmark input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from normlab.errors import check_dims

__all__ = ["normalize", "normalize_with_stats", "affine", "opmath", "count_per_stat"]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def normalize(x: torch.Tensor, dims: int | Sequence[int], eps: float = 1e-5, *, center: bool = True,
              weight: torch.Tensor | None = None, bias: torch.Tensor | None = None) -> torch.Tensor:
    """normlab.core.normalize, computed fast."""
    dims = check_dims(x, dims)
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
            y, _, mean, var, _ = _forward(xf, dims, eps, center, weight, bias, inference=True)
    return y.to(x.dtype), mean, var


def affine(y: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
           out: torch.Tensor | None = None) -> torch.Tensor:
    """Scale by gamma and shift by beta (both already viewed to broadcast over y), into `out` if given."""
    if weight is not None and bias is not None:
        if weight.dim() and weight.shape[-1] == 1 < y.shape[-1]:  # one gamma per row: CPU addcmul is slow there
            return torch.mul(y, weight, out=out).add_(bias)
        return torch.addcmul(bias, y, weight, out=out)  # beta + y * gamma in one pass over y instead of two
    if weight is not None:
        return torch.mul(y, weight, out=out)
    if bias is not None:
        return torch.add(y, bias, out=out)
    return y


def opmath(x: torch.Tensor) -> torch.Tensor:
    """Compute in float32 for half-precision inputs, as torch's kernels do."""
    return x.float() if x.dtype in _LOW_PRECISION else x


def count_per_stat(x: torch.Tensor, dims: Sequence[int]) -> int:
    """How many values each statistic is computed from when reducing x over dims."""
    return math.prod(x.shape[d] for d in dims)


class _Normalize(torch.autograd.Function):
    """y = x_hat * weight + bias, x_hat = (x - mean) / sqrt(var + eps) over dims, with a closed-form backward.

    Autograd could differentiate the forward's elementary ops by itself (a dozen full-size backward ops); the
    chain rule through mean and var sums up to one formula that needs a few passes (see backward).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool,
                weight: torch.Tensor | None, bias: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        y, x_hat, mean, var, rstd = _forward(x, dims, eps, center, weight, bias)
        ctx.save_for_backward(x, x_hat, rstd, weight, bias)
        ctx.args = dims, eps, center
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, g: torch.Tensor, *_: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, x_hat, rstd, weight, bias = ctx.saved_tensors
        dims, eps, center = ctx.args
        if torch.is_grad_enabled():  # create_graph=True: autograd through the plain forward, exact to any order
            return _grads_through_autograd(g, x, weight, bias, dims, eps, center, ctx.needs_input_grad)
        need_x, _, _, _, need_w, need_b = ctx.needs_input_grad
        if weight is None or _per_group(weight, g.dim(), dims):
            return _backward_per_group(g, x_hat, rstd, weight, bias, dims, center, need_x, need_w, need_b)
        db = g.sum_to_size(bias.shape) if need_b else None
        g_x_hat = g * x_hat if need_w or need_x else None
        dw = g_x_hat.sum_to_size(weight.shape) if need_w else None
        if not need_x:
            return None, None, None, None, dw, db
        if need_w and dw.shape == g.shape:  # sum_to_size returned g_x_hat itself, which is overwritten below
            dw = dw.clone()
        g_hat = g if weight is None else g * weight  # gradient w.r.t. x_hat
        # dx = rstd * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)): the direct path, then the paths
        # through the mean and through the variance (cs231n's BatchNorm backward, for any reduction dims).
        # Written into g_x_hat's memory, which is ours: a fresh full-size tensor costs more than a pass over one.
        n = count_per_stat(g, dims)
        mean_g_hat_x_hat = _sum(g_x_hat if weight is None else g_x_hat.mul_(weight), dims) / n
        mean_g_hat = _sum(g_hat, dims) / n if center else None
        dx = torch.sub(g_hat, torch.mul(x_hat, mean_g_hat_x_hat, out=g_x_hat), out=g_x_hat)
        if center:
            dx.sub_(mean_g_hat)
        return dx.mul_(rstd), None, None, None, dw, db


def _per_group(weight: torch.Tensor, ndim: int, dims: tuple[int, ...]) -> bool:
    """Is gamma the same for every element of a group (size 1 along every reduced dim), as BatchNorm's is?"""
    shape = (1,) * (ndim - weight.dim()) + tuple(weight.shape)
    return all(shape[d] == 1 for d in dims)


def _backward_per_group(g: torch.Tensor, x_hat: torch.Tensor, rstd: torch.Tensor, weight: torch.Tensor | None,
                        bias: torch.Tensor | None, dims: tuple[int, ...], center: bool, need_x: bool, need_w: bool,
                        need_b: bool) -> tuple[torch.Tensor | None, ...]:
    """The closed form when gamma is constant over each group: gamma comes out of the group means,

    dx = rstd * gamma * (g - mean(g) - x_hat * mean(g * x_hat)), and the two sums that make dx also give dbeta and
    dgamma. Two fewer full-size passes than the general case; for BatchNorm's small (N, C) batches the cost is
    mostly the number of tensor operations (`make bench` times a training step against torch's).
    """
    s_g = _sum(g, dims) if center or need_b else None
    g_x_hat = g * x_hat
    s_gx = _sum(g_x_hat, dims)
    db = _sum_to(s_g, bias) if need_b else None
    dw = _sum_to(s_gx, weight) if need_w else None
    if not need_x:
        return None, None, None, None, dw, db
    scale = rstd if weight is None else rstd * weight  # gamma / std, one per group
    per_n = scale / count_per_stat(g, dims)
    dx = torch.mul(g, scale, out=g_x_hat).addcmul_(x_hat, s_gx * per_n, value=-1)  # g_x_hat's memory is ours
    if center:
        dx.sub_(s_g * per_n)
    return dx, None, None, None, dw, db


def _sum_to(s: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """s summed down to like's shape (BatchNorm's per-group sums already have it: no call then)."""
    return s if s.shape == like.shape else s.sum_to_size(like.shape)


def _forward(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool, weight: torch.Tensor | None,
             bias: torch.Tensor | None, inference: bool = False) -> tuple[torch.Tensor, ...]:
    """y, x_hat, mean, biased variance and 1 / sqrt(var + eps), from elementary ops; inference keeps no x_hat."""
    n = count_per_stat(x, dims)
    mean = _mean(x, dims, n) if center else torch.zeros((), dtype=x.dtype)
    centered = x - mean if center else x
    # The biased variance (divide by n) from the centered values: unlike E[x²] - E[x]², nothing cancels when
    # |mean| >> std, and unlike torch.var_mean (a slow Welford pass on CPU) it costs two cheap reads.
    var = _mean(centered, dims, n, squares=True)
    rstd = torch.rsqrt(var + eps)
    if torch.is_grad_enabled():  # autograd records this forward (for gradients of gradients): no in-place ops
        x_hat = centered * rstd
        return affine(x_hat, weight, bias), x_hat, mean, var, rstd
    out = centered if center else torch.empty_like(x)  # centered was made above: write into it (never into x)
    if inference and weight is not None and _scale_is_small(rstd, weight, x):
        # Nothing is kept for backward and gamma / std holds one value per group and channel: one pass, not two.
        return affine(centered, rstd * weight, bias, out=out), None, mean, var, rstd
    x_hat = torch.mul(centered, rstd, out=out)
    return affine(x_hat, weight, bias, out=x_hat if inference else None), x_hat, mean, var, rstd


def _mean(t: torch.Tensor, dims: tuple[int, ...], n: int, squares: bool = False) -> torch.Tensor:
    """Mean of t (or of t²) over dims. Without trailing dims to reduce first (BatchNorm1d on (N, C)) one call of
    torch.mean, which a small tensor pays per operation; otherwise the trailing-first sum, then / n."""
    if dims[-1] != t.dim() - 1:
        return (t * t if squares else t).mean(dims, keepdim=True)
    return _sum(t, dims, squares) / n


def _sum(t: torch.Tensor, dims: tuple[int, ...], squares: bool = False) -> torch.Tensor:
    """Sum of t (or of t²) over dims, kept as size-1 dims: the trailing dims first, then the rest.

    Reducing the trailing dims reads memory in order, which on CPU is several times faster than one strided
    reduction over, say, BatchNorm2d's (0, 2, 3); what is left to sum afterwards is small. The sum of squares
    goes through vector_norm (one pass, no squared copy), except while autograd records it for a second-order
    gradient: the norm's derivative is undefined at 0, which a constant group reaches.
    """
    if squares and torch.is_grad_enabled():
        t, squares = t * t, False
    k = 0
    while k < len(dims) and dims[-1 - k] == t.dim() - 1 - k:
        k += 1
    trailing, rest = dims[len(dims) - k:], dims[:len(dims) - k]
    if not trailing:
        return (t * t if squares else t).sum(rest, keepdim=True)
    s = torch.linalg.vector_norm(t, 2, trailing, keepdim=True).square() if squares else t.sum(trailing, keepdim=True)
    return s.sum(rest, keepdim=True) if rest else s


def _scale_is_small(rstd: torch.Tensor, weight: torch.Tensor, x: torch.Tensor) -> bool:
    """Is rstd * weight smaller than x? Yes for per-channel gamma (BatchNorm, GroupNorm), no for LayerNorm's."""
    return weight.dim() == x.dim() and math.prod(map(max, rstd.shape, weight.shape)) < x.numel()


def _grads_through_autograd(g: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None,
                            bias: torch.Tensor | None, dims: tuple[int, ...], eps: float, center: bool,
                            needs: tuple[bool, ...]) -> tuple[torch.Tensor | None, ...]:
    """Gradients by autograd through the plain forward, so that they can be differentiated again."""
    inputs = {0: x, 4: weight, 5: bias}
    wanted = [i for i in inputs if needs[i]]
    y = _forward(x, dims, eps, center, weight, bias)[0]
    got = dict(zip(wanted, torch.autograd.grad(y, [inputs[i] for i in wanted], g, create_graph=True), strict=True))
    return tuple(got.get(i) for i in range(6))
