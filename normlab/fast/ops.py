"""The building blocks of normlab.fast: sums over the trailing dims first, gamma and beta, float32 for half inputs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["affine", "opmath", "count_per_stat", "mean_over", "sum_over", "scale_is_small"]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


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


def mean_over(t: torch.Tensor, dims: tuple[int, ...], n: int, squares: bool = False) -> torch.Tensor:
    """Mean of t (or of t²) over dims. Without trailing dims to reduce first (BatchNorm1d on (N, C)) one call of
    torch.mean, which a small tensor pays per operation; otherwise the trailing-first sum, then / n."""
    if dims[-1] != t.dim() - 1:
        return (t * t if squares else t).mean(dims, keepdim=True)
    return sum_over(t, dims, squares) / n


def sum_over(t: torch.Tensor, dims: tuple[int, ...], squares: bool = False) -> torch.Tensor:
    """Sum of t (or of t²) over dims, kept as size-1 dims: the trailing dims first, then the rest.

    Reducing the trailing dims reads memory in order, which on CPU is several times faster than one strided
    reduction over, say, BatchNorm2d's (0, 2, 3); what is left to sum afterwards is small. The sum of squares
    goes through vector_norm (one pass, no squared copy), except while autograd records it for a second-order
    gradient: the norm's derivative is undefined at 0, which a constant group reaches.
    """
    if squares and torch.is_grad_enabled():
        t = t * t
        squares = False
    k = 0
    while k < len(dims) and dims[-1 - k] == t.dim() - 1 - k:
        k += 1
    trailing, rest = dims[len(dims) - k:], dims[:len(dims) - k]
    if not trailing:
        return (t * t if squares else t).sum(rest, keepdim=True)
    s = torch.linalg.vector_norm(t, 2, trailing, keepdim=True).square() if squares else t.sum(trailing, keepdim=True)
    return s.sum(rest, keepdim=True) if rest else s


def scale_is_small(rstd: torch.Tensor, weight: torch.Tensor, x: torch.Tensor) -> bool:
    """Is rstd * weight smaller than x? Yes for per-channel gamma (BatchNorm, GroupNorm), no for LayerNorm's."""
    return weight.dim() == x.dim() and math.prod(map(max, rstd.shape, weight.shape)) < x.numel()
