"""From-scratch twins of torch.nn.functional's normalizations: each one is `normalize` over some dims."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from normlab import errors as E

__all__ = ["normalize", "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]

Dims = int | Sequence[int]
_LOW_PRECISION = (torch.float16, torch.bfloat16)


def _dims(x: torch.Tensor, dims: Dims) -> tuple[int, ...]:
    """Reduction dims as sorted non-negative ints, with a teaching error for bad ones."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims:
        raise ValueError("normalize needs at least one reduction dim: with none, every element is its own "
                         "group, its mean is itself and its variance 0, so the output would be all zeros.")
    if any(not -x.dim() <= d < x.dim() for d in dims):
        raise ValueError(f"dims {dims} out of range for a {x.dim()}-D tensor {E.layout_of(x.dim())} of shape "
                         f"{tuple(x.shape)}: use dims from 0 to {x.dim() - 1} (or negative ones from the end).")
    out = tuple(sorted({d % x.dim() for d in dims}))
    if len(out) != len(dims):
        raise ValueError(f"dims {dims} names a dim twice: list each reduction dim once.")
    return out


def _moments(x: torch.Tensor, dims: tuple[int, ...],
             center: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x - mean, mean and biased variance over dims (kept as size-1 dims); uncentered: x, 0 and the mean square."""
    if x.numel() == 0:  # nothing to average; the output is empty anyway (and torch does not warn)
        empty = x.sum(dim=dims, keepdim=True)
        return x, empty, empty
    n = E.count_per_stat(x, dims)  # values behind each statistic
    # sum / n, not .mean(): same numbers, but mean's backward builds a full-size gradient where sum's is a view.
    mean = x.sum(dim=dims, keepdim=True) / n if center else torch.zeros((), dtype=x.dtype)
    centered = x - mean if center else x
    # Variance = mean squared deviation (biased: / n), from the centered values we need anyway: two cheap passes
    # beat torch.var_mean's slow Welford pass on CPU, and unlike E[x²] - E[x]² nothing cancels when |mean| >> std.
    return centered, mean, (centered * centered).sum(dim=dims, keepdim=True) / n


def _standardize(centered: torch.Tensor, var: torch.Tensor, eps: float) -> torch.Tensor:
    """(x - mean) / sqrt(var + eps): the one formula behind every layer here."""
    return centered * torch.rsqrt(var + eps)  # times 1/sqrt: a cheaper backward than dividing the big tensor


def _opmath(x: torch.Tensor) -> torch.Tensor:
    """Compute in float32 for half-precision inputs, as torch's kernels do."""
    return x.float() if x.dtype in _LOW_PRECISION else x


def normalize(x: torch.Tensor, dims: Dims, eps: float = 1e-5, *, center: bool = True) -> torch.Tensor:
    """Standardize x over the reduction dims: every slice sharing the other dims gets mean 0, variance 1."""
    E.check_floating(x, "normalize")
    dims = _dims(x, dims)
    if x.numel() == 0:
        return x * 1
    xf = _opmath(x)
    centered, _, var = _moments(xf, dims, center)
    return _standardize(centered, var, eps).to(x.dtype)


def _affine(y: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
            shape: Sequence[int]) -> torch.Tensor:
    """Scale by gamma and shift by beta, each viewed to broadcast along `shape`."""
    if weight is not None and bias is not None:  # beta + y * gamma in one pass over y instead of two
        return torch.addcmul(bias.reshape(shape), y, weight.reshape(shape))
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


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
def _update_running(stat: torch.Tensor, batch: torch.Tensor, momentum: float) -> None:
    """In place: running = (1 - momentum) * running + momentum * batch (torch's convention)."""
    stat.mul_(1 - momentum).add_(batch.to(stat.dtype), alpha=momentum)


def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> torch.Tensor:
    """BatchNorm: statistics per channel over the batch and every spatial dim, i.e. dims (0, 2, 3, ...)."""
    x = input
    E.check_floating(x, "batch_norm")
    E.check_min_ndim(x, 2, "batch_norm")
    dims = (0, *range(2, x.dim()))
    if training:
        E.check_values_per_stat(x, E.count_per_stat(x, dims), "channel")
    E.check_running_pair(running_mean, running_var, training)
    _check_per_channel(x, running_mean, running_var, weight, bias)
    E.check_eps(eps, training)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType\n  hint: the cumulative "
                        "average of nn.BatchNorm(momentum=None) is momentum = 1 / num_batches_tracked.")
    shape, xf = _channel_shape(x), _opmath(x)
    if training:
        centered, mean, var = _moments(xf, dims)
        y = _standardize(centered, var, eps)
        n = E.count_per_stat(x, dims)
        if running_mean is not None and n > 0:
            _update_running(running_mean, mean.flatten(), momentum)
            _update_running(running_var, var.flatten() * (n / (n - 1)), momentum)  # unbiased, as torch
    else:
        y = _standardize(xf - running_mean.reshape(shape), running_var.reshape(shape), eps)
    return _affine(y, weight, bias, shape).to(x.dtype)


def instance_norm(input: torch.Tensor, running_mean: torch.Tensor | None = None,
                  running_var: torch.Tensor | None = None, weight: torch.Tensor | None = None,
                  bias: torch.Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-05) -> torch.Tensor:
    """InstanceNorm: statistics per sample and channel over the spatial dims (2, 3, ...)."""
    x = input
    E.check_floating(x, "instance_norm")
    E.check_min_ndim(x, 2, "instance_norm")
    dims = tuple(range(2, x.dim()))
    if use_input_stats:
        E.check_values_per_stat(x, E.count_per_stat(x, dims), "instance")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false"
                           "\n  hint: with use_input_stats=False (eval with track_running_stats=True) the "
                           "stored running statistics are used, so pass them.")
    E.check_running_pair(running_mean, running_var, True)
    _check_per_channel(x, running_mean, running_var, weight, bias)
    shape, xf = _channel_shape(x), _opmath(x)
    if use_input_stats:
        centered, mean, var = _moments(xf, dims)
        y = _standardize(centered, var, eps)
        n = E.count_per_stat(x, dims)
        if running_mean is not None and x.numel() > 0:
            _update_running(running_mean, mean.mean(0).flatten(), momentum)
            _update_running(running_var, (var * (n / (n - 1))).mean(0).flatten(), momentum)
    else:
        y = _standardize(xf - running_mean.reshape(shape), running_var.reshape(shape), eps)
    return _affine(y, weight, bias, shape).to(x.dtype)


def _trailing(x: torch.Tensor, normalized_shape: int | Sequence[int], weight: torch.Tensor | None,
              bias: torch.Tensor | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check normalized_shape against x's trailing dims; return it and the dims it names."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    E.check_trailing_shape(x, shape)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(p.shape)} and normalized_shape = {list(shape)}\n  hint: the "
                               f"elementwise affine has one value per normalized element: shape {shape}.")
    return shape, tuple(range(x.dim() - len(shape), x.dim()))


def layer_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """LayerNorm: statistics per sample over the trailing dims named by normalized_shape."""
    E.check_floating(input, "layer_norm")
    shape, dims = _trailing(input, normalized_shape, weight, bias)
    y = normalize(input, dims, eps)
    return _affine(y, weight, bias, shape).to(input.dtype)


def rms_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
             eps: float | None = None) -> torch.Tensor:
    """RMSNorm: like LayerNorm without centering, dividing by the root mean square of the trailing dims."""
    E.check_floating(input, "rms_norm")
    shape, dims = _trailing(input, normalized_shape, weight, None)
    eps = torch.finfo(input.dtype).eps if eps is None else eps
    y = normalize(input, dims, eps, center=False)
    return _affine(y, weight, None, shape).to(input.dtype)


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
    grouped = x.reshape(n, num_groups, (c // num_groups) * math.prod(x.shape[2:]))
    y = normalize(grouped, 2, eps).reshape(x.shape)
    return _affine(y, weight, bias, _channel_shape(x)).to(x.dtype)
