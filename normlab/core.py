"""The one idea behind every normalization layer: standardize over chosen reduction dims, then scale and shift.

This is the function to read. Each line is one step of the formula, written with plain tensor operations, and
autograd differentiates it as it stands. normlab.fast computes exactly the same thing faster (and says why);
normlab.functional and normlab.nn use that one, and a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from normlab.errors import check_dims

__all__ = ["Dims", "normalize"]

Dims = int | Sequence[int]


def normalize(x: torch.Tensor, dims: Dims, eps: float = 1e-5, *, center: bool = True,
              weight: torch.Tensor | None = None, bias: torch.Tensor | None = None) -> torch.Tensor:
    """(x - mean) / sqrt(var + eps) over `dims`, then * weight + bias: each group gets mean 0 and variance 1."""
    dims = check_dims(x, dims)  # e.g. 0 -> (0,) and -1 -> (x.dim() - 1,), with a teaching error for bad dims
    xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x  # statistics in float32, as torch
    if center:
        mean = xf.mean(dim=dims, keepdim=True)  # one mean per group; size-1 dims broadcast back over x
        xf = xf - mean
    var = (xf * xf).mean(dim=dims, keepdim=True)  # the BIASED variance: divide by n (RMSNorm: the mean square)
    x_hat = xf / torch.sqrt(var + eps)  # eps keeps a constant group from dividing by zero
    if weight is not None:
        x_hat = x_hat * weight  # gamma, already shaped to broadcast: scale
    if bias is not None:
        x_hat = x_hat + bias  # beta: shift
    return x_hat.to(x.dtype)
