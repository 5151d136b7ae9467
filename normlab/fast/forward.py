"""normlab.fast's forward, one function per case: recorded by autograd, saving for the closed-form backward, or
inference (nothing kept)."""

from __future__ import annotations

import torch

from normlab.fast.ops import affine, count_per_stat, mean_over, scale_is_small

__all__ = ["statistics", "forward_recorded", "forward_saving", "forward_inference"]


def statistics(x: torch.Tensor, dims: tuple[int, ...], eps: float,
               center: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """x - mean (x itself without centering), the mean, the biased variance and rstd = 1 / sqrt(var + eps)."""
    n = count_per_stat(x, dims)
    mean = mean_over(x, dims, n) if center else torch.zeros((), dtype=x.dtype)
    centered = x - mean if center else x
    # The biased variance (divide by n) from the centered values: unlike E[x²] - E[x]², nothing cancels when
    # |mean| >> std, and unlike torch.var_mean (a slow Welford pass on CPU) it costs two cheap reads.
    var = mean_over(centered, dims, n, squares=True)
    rstd = torch.rsqrt(var + eps)
    return centered, mean, var, rstd


def forward_recorded(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool,
                     weight: torch.Tensor | None, bias: torch.Tensor | None) -> torch.Tensor:
    """y from out-of-place ops only, so that autograd can record it (for gradients of gradients)."""
    centered, _, _, rstd = statistics(x, dims, eps, center)
    x_hat = centered * rstd
    return affine(x_hat, weight, bias)


def forward_saving(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool,
                   weight: torch.Tensor | None, bias: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
    """y, and x_hat, mean, var and rstd for the closed-form backward; x_hat is written into memory of its own."""
    centered, mean, var, rstd = statistics(x, dims, eps, center)
    out = centered if center else torch.empty_like(x)  # centered was made above: write into it (never into x)
    x_hat = torch.mul(centered, rstd, out=out)
    return affine(x_hat, weight, bias), x_hat, mean, var, rstd


def forward_inference(x: torch.Tensor, dims: tuple[int, ...], eps: float, center: bool,
                      weight: torch.Tensor | None, bias: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
    """y, mean and var with nothing kept for a backward: every step writes into the tensor made before it."""
    centered, mean, var, rstd = statistics(x, dims, eps, center)
    out = centered if center else torch.empty_like(x)  # centered was made above: write into it (never into x)
    if weight is not None and scale_is_small(rstd, weight, x):
        # gamma * rstd holds one value per group and channel: one pass over x instead of two.
        return affine(centered, rstd * weight, bias, out=out), mean, var
    x_hat = torch.mul(centered, rstd, out=out)
    return affine(x_hat, weight, bias, out=x_hat), mean, var
