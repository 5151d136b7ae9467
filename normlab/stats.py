"""The statistics every normalization layer keeps or computes, each written once.

- `update_running`: BatchNorm's (and InstanceNorm's) running mean and variance after a training batch
  (normlab.functional, normlab.sync);
- `eval_scale_shift`: an eval-mode BatchNorm as one scale and one shift per channel (normlab.frozen, normlab.deploy);
- `group_stats`: the mean and variance of every group of elements, given each element's group
  (the lessons' explorer and cube).
"""

from __future__ import annotations

import torch

__all__ = ["update_running", "eval_scale_shift", "group_stats"]


def update_running(running_mean: torch.Tensor | None, running_var: torch.Tensor | None, mean: torch.Tensor,
                   unbiased_var: torch.Tensor, momentum: float) -> None:
    """In place: running = (1 - momentum) * running + momentum * batch statistic (either running one may be None).

    The variance kept is the UNBIASED one (divided by n - 1). The batch statistics carry no gradient (normlab
    computes them detached), so no no_grad context is needed: entering one costs as much as a small layer's update.
    """
    for running, batch in ((running_mean, mean), (running_var, unbiased_var)):
        if running is not None:
            batch = batch.reshape(-1).to(running.dtype)  # (C,)
            running.lerp_(batch, momentum)  # running + momentum * (batch - running)


def eval_scale_shift(running_mean: torch.Tensor, running_var: torch.Tensor, weight: torch.Tensor | None,
                     bias: torch.Tensor | None, eps: float,
                     before: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm of z + before is z * scale + shift per channel: scale = γ / sqrt(var + eps) and
    shift = (before - mean) * scale + β, where `before` is a bias added just before it (none: 0).

    before - mean is taken first, so nothing cancels when the two are large and close. Computed in the statistics'
    dtype, float32 at least (half-precision buffers included).
    """
    work = torch.promote_types(running_var.dtype, torch.float32)
    scale = torch.rsqrt(running_var.to(work) + eps)  # 1 / σ, per channel
    if weight is not None:
        scale = weight.to(work) * scale  # γ / σ
    mean = running_mean.to(work)
    offset = -mean if before is None else before.to(work) - mean  # b - μ
    shift = offset * scale  # (b - μ) · γ / σ
    if bias is not None:
        shift = shift + bias.to(work)  # (b - μ) · γ / σ + β
    return scale, shift


def group_stats(x: torch.Tensor, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each group's size, mean and biased variance, where ids (x's shape) holds every element's group 0 .. G-1."""
    values = x.reshape(-1)
    group = ids.reshape(-1)
    count = torch.bincount(group).to(x.dtype)  # (G,)
    mean = torch.zeros(len(count), dtype=x.dtype).index_add_(0, group, values) / count
    var = torch.zeros_like(mean).index_add_(0, group, (values - mean[group]) ** 2) / count
    return count, mean, var
