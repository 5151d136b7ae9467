"""From-scratch twins of torch.nn.functional's normalizations: each one is `normalize` over some dims."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from normlab import errors as E
from normlab.core import affine, normalize, normalize_with_stats, opmath

__all__ = ["normalize", "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]


def _view(t: torch.Tensor | None, shape: Sequence[int]) -> torch.Tensor | None:
    """A per-channel (or per-element) tensor viewed to broadcast along `shape`; None stays None."""
    return None if t is None else t.reshape(shape)


def _channel_shape(x: torch.Tensor) -> tuple[int, ...]:
    """(1, C, 1, ...): a per-channel vector viewed to broadcast over x."""
    return (1, x.shape[1]) + (1,) * (x.dim() - 2)


def _check_per_channel(x: torch.Tensor, *tensors: torch.Tensor | None) -> None:
    """Running mean and variance, gamma and beta: each holds one value per channel C = x.shape[1]."""
    for name, t in zip(("running_mean", "running_var", "weight", "bias"), tensors, strict=True):
        if t is not None and name.startswith("running"):
            E.check_channels(x, t.numel(), name)
        else:
            E.check_param(t, x.shape[1], name, x)


@torch.no_grad()
def _update_running(running_mean: torch.Tensor, running_var: torch.Tensor, mean: torch.Tensor,
                    unbiased_var: torch.Tensor, momentum: float) -> None:
    """In place: running += momentum * (batch - running), i.e. (1 - momentum) * running + momentum * batch."""
    running_mean.lerp_(mean.to(running_mean.dtype), momentum)
    running_var.lerp_(unbiased_var.to(running_var.dtype), momentum)


def _channelwise(x: torch.Tensor, dims: tuple[int, ...], batch_stats: bool, running_mean: torch.Tensor | None,
                 running_var: torch.Tensor | None, weight: torch.Tensor | None, bias: torch.Tensor | None,
                 eps: float) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Batch or instance norm: normalize over dims with the batch's statistics, or with the running ones."""
    shape = _channel_shape(x)
    weight, bias = _view(weight, shape), _view(bias, shape)
    if x.numel() == 0:
        return affine(x * 1, weight, bias), None, None
    if batch_stats:
        return normalize_with_stats(x, dims, eps, True, weight, bias)
    x_hat = (opmath(x) - running_mean.reshape(shape)) * torch.rsqrt(running_var.reshape(shape) + eps)
    return affine(x_hat, weight, bias).to(x.dtype), None, None


def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> torch.Tensor:
    """BatchNorm: statistics per channel over the batch and every spatial dim, i.e. dims (0, 2, 3, ...)."""
    x = input
    E.check_floating(x, "batch_norm")
    E.check_min_ndim(x, 2, "batch_norm")
    dims = (0, *range(2, x.dim()))
    n = E.count_per_stat(x, dims)
    if training:
        E.check_values_per_stat(x, n, "channel")
    E.check_running_pair(running_mean, running_var, training)
    _check_per_channel(x, running_mean, running_var, weight, bias)
    E.check_eps(eps, training)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType\n  hint: the cumulative "
                        "average of nn.BatchNorm(momentum=None) is momentum = 1 / num_batches_tracked.")
    y, mean, var = _channelwise(x, dims, training, running_mean, running_var, weight, bias, eps)
    if training and running_mean is not None and mean is not None:
        # running_var stores the UNBIASED variance (n / (n - 1) times the biased one the output used), as torch
        _update_running(running_mean, running_var, mean.flatten(), var.flatten() * (n / (n - 1)), momentum)
    return y


def instance_norm(input: torch.Tensor, running_mean: torch.Tensor | None = None,
                  running_var: torch.Tensor | None = None, weight: torch.Tensor | None = None,
                  bias: torch.Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-05) -> torch.Tensor:
    """InstanceNorm: statistics per sample and channel over the spatial dims (2, 3, ...)."""
    x = input
    E.check_floating(x, "instance_norm")
    E.check_min_ndim(x, 2, "instance_norm")
    dims = tuple(range(2, x.dim()))
    n = E.count_per_stat(x, dims)
    if use_input_stats:
        E.check_values_per_stat(x, n, "instance")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false"
                           "\n  hint: with use_input_stats=False (eval with track_running_stats=True) the "
                           "stored running statistics are used, so pass them.")
    E.check_running_pair(running_mean, running_var, True)
    _check_per_channel(x, running_mean, running_var, weight, bias)
    y, mean, var = _channelwise(x, dims, use_input_stats, running_mean, running_var, weight, bias, eps)
    if use_input_stats and running_mean is not None and mean is not None:
        _update_running(running_mean, running_var, mean.mean(0).flatten(), (var * (n / (n - 1))).mean(0).flatten(),
                        momentum)
    return y


def _trailing(x: torch.Tensor, normalized_shape: int | Sequence[int], weight: torch.Tensor | None,
              bias: torch.Tensor | None) -> tuple[int, ...]:
    """Check normalized_shape against x's trailing dims and the affine's shape; return the dims it names."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    E.check_trailing_shape(x, shape)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(p.shape)} and normalized_shape = {list(shape)}\n  hint: the "
                               f"elementwise affine has one value per normalized element: shape {shape}.")
    return tuple(range(x.dim() - len(shape), x.dim()))


def layer_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """LayerNorm: statistics per sample over the trailing dims named by normalized_shape."""
    E.check_floating(input, "layer_norm")
    dims = _trailing(input, normalized_shape, weight, bias)
    return normalize(input, dims, eps, weight=weight, bias=bias)


def rms_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
             eps: float | None = None) -> torch.Tensor:
    """RMSNorm: like LayerNorm without centering, dividing by the root mean square of the trailing dims."""
    E.check_floating(input, "rms_norm")
    dims = _trailing(input, normalized_shape, weight, None)
    eps = torch.finfo(input.dtype).eps if eps is None else eps
    return normalize(input, dims, eps, center=False, weight=weight)


def group_norm(input: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """GroupNorm: channels split into groups; statistics per sample and group over its channels and space."""
    x = input
    E.check_floating(x, "group_norm")
    E.check_min_ndim(x, 2, "group_norm")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(x.shape)} and num_groups={num_groups}\n  hint: C = x.shape[1] = {c} "
                           f"channels are split into num_groups equal groups; pick a divisor of {c}.")
    if (n * c // num_groups) * math.prod(x.shape[2:]) == 1:  # torch's own (odd) one-value check
        E.check_values_per_stat(x, 1, "channel")
    E.check_param(weight, c, "weight", x)
    E.check_param(bias, c, "bias", x)
    if x.numel() == 0:
        return affine(x * 1, _view(weight, _channel_shape(x)), _view(bias, _channel_shape(x)))
    # (N, G, C/G, rest): a group's channels and positions are reduced together, while gamma stays per channel.
    grouped, shape = x.reshape(n, num_groups, c // num_groups, -1), (1, num_groups, c // num_groups, 1)
    return normalize(grouped, (2, 3), eps, weight=_view(weight, shape), bias=_view(bias, shape)).reshape(x.shape)
