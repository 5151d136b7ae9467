"""From-scratch twins of torch.nn.functional's normalizations, computed by normlab.fast.

Each function checks its arguments once, at the door (`_check_*`, with normlab.errors: torch's words plus a hint),
then reads its reduction dims from normlab.families and computes, without returning to the checks. The readable
`normalize` these all come from is normlab.normalize (normlab.core); normlab.fast is the same function made fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from normlab import errors
from normlab.families import GROUPED_DIMS, channel_view, reduces
from normlab.families import normalized_shape as normalized_shape_of
from normlab.fast import affine, count_per_stat, normalize_checked, normalize_with_stats, opmath
from normlab.stats import update_running

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]



def _per_channel(t: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
    """A per-channel vector viewed as (1, C, 1, ...) to broadcast over x; None stays None."""
    return None if t is None else t.reshape(channel_view(x.dim()))


def _empty(x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None) -> torch.Tensor:
    """torch's answer for an input with no elements: a copy, still connected to the graph through gamma and beta."""
    out = x.clone()
    if weight is not None:
        out = out * weight[0]
    return out if bias is None else out + bias[0]


def _with_running_stats(x: torch.Tensor, running_mean: torch.Tensor, running_var: torch.Tensor,
                        weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float) -> torch.Tensor:
    """Eval mode: (x - running_mean) / sqrt(running_var + eps), then gamma and beta (torch's order of operations)."""
    x_hat = (opmath(x) - _per_channel(running_mean, x)) * torch.rsqrt(_per_channel(running_var, x) + eps)
    return affine(x_hat, _per_channel(weight, x), _per_channel(bias, x)).to(x.dtype)


# The doors: every argument checked once, in torch's order (so the first error is torch's first error).

def _check_channelwise(x: torch.Tensor, op: str, running_mean: torch.Tensor | None,
                       running_var: torch.Tensor | None, weight: torch.Tensor | None,
                       bias: torch.Tensor | None) -> None:
    """A float (N, C, ...) input and tensors with one value per channel C = x.shape[1]."""
    errors.check_floating(x, op)
    errors.check_min_ndim(x, 2, op)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            errors.check_channels(x, t.numel(), name)
    errors.check_param(weight, x.shape[1], "weight", x)
    errors.check_param(bias, x.shape[1], "bias", x)


def _check_batch_norm(x: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
                      weight: torch.Tensor | None, bias: torch.Tensor | None, training: bool,
                      momentum: float | None, eps: float) -> None:
    """batch_norm's arguments; torch checks nothing more of an input with no elements once eps passes."""
    if training:
        errors.check_batch_size(x)
    errors.check_eps(eps, training)
    if x.numel() == 0:
        return
    errors.check_running_pair(running_mean, running_var, training)
    _check_channelwise(x, "batch_norm", running_mean, running_var, weight, bias)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType\n  hint: the cumulative "
                        "average of nn.BatchNorm(momentum=None) is momentum = 1 / num_batches_tracked.")


def _check_instance_norm(x: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
                         weight: torch.Tensor | None, bias: torch.Tensor | None, use_input_stats: bool) -> None:
    """instance_norm's arguments; torch checks nothing of an (N, C, ...) input with no elements."""
    if x.numel() == 0 and x.dim() >= 2:
        return
    _check_channelwise(x, "instance_norm", running_mean, running_var, weight, bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is "
                               "false\n  hint: with use_input_stats=False (eval with track_running_stats=True) the "
                               "stored running statistics are used, so pass them.")
        return
    errors.check_values_per_stat(x, count_per_stat(x, reduces("InstanceNorm", x.dim())), "instance")
    errors.check_running_pair(running_mean, running_var, True)


def _check_trailing(x: torch.Tensor, op: str, shape: tuple[int, ...], weight: torch.Tensor | None,
                    bias: torch.Tensor | None) -> None:
    """A float input whose trailing dims are normalized_shape, and an elementwise affine of that shape."""
    errors.check_floating(x, op)
    errors.check_trailing_shape(x, shape)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(p.shape)} and normalized_shape = {list(shape)}\n  hint: the "
                               f"elementwise affine has one value per normalized element: shape {shape}.")


def _check_group_norm(x: torch.Tensor, num_groups: int, weight: torch.Tensor | None,
                      bias: torch.Tensor | None) -> None:
    """A float (N, C, ...) input whose C channels split into num_groups groups, and per-channel gamma and beta."""
    errors.check_floating(x, "group_norm")
    errors.check_min_ndim(x, 2, "group_norm")
    errors.check_groups(x, num_groups)
    n, c = x.shape[:2]
    if n * count_per_stat(x, reduces("GroupNorm", x.dim())) // num_groups == 1:  # torch's own (odd) one-value check
        errors.check_values_per_stat(x, 1, "channel")
    errors.check_param(weight, c, "weight", x)
    errors.check_param(bias, c, "bias", x)


# The functions: checked at the door, then computed.

def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> torch.Tensor:
    """BatchNorm: statistics per channel over the batch and every spatial dim, i.e. dims (0, 2, 3, ...)."""
    _check_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    x = input
    if x.numel() == 0:
        return _empty(x, weight, bias)
    if not training:
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    dims = reduces("BatchNorm", x.dim())  # (0, 2, 3, ...): the batch and every spatial dim
    y, mean, var = normalize_with_stats(x, dims, eps, True, _per_channel(weight, x), _per_channel(bias, x))
    if running_mean is not None or running_var is not None:
        n = count_per_stat(x, dims)  # running_var stores the UNBIASED variance: n / (n - 1) times the output's
        update_running(running_mean, running_var, mean, var * (n / (n - 1)), momentum)
    return y


def instance_norm(input: torch.Tensor, running_mean: torch.Tensor | None = None,
                  running_var: torch.Tensor | None = None, weight: torch.Tensor | None = None,
                  bias: torch.Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-05) -> torch.Tensor:
    """InstanceNorm: statistics per sample and channel over the spatial dims (2, 3, ...)."""
    _check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats)
    x = input
    if x.numel() == 0:
        return _empty(x, weight, bias)
    if not use_input_stats:
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    dims = reduces("InstanceNorm", x.dim())  # (2, 3, ...): every spatial dim, per sample and channel
    y, mean, var = normalize_with_stats(x, dims, eps, True, _per_channel(weight, x), _per_channel(bias, x))
    if running_mean is not None or running_var is not None:  # the average over the batch of each sample's statistics
        n = count_per_stat(x, dims)
        update_running(running_mean, running_var, mean.mean(0), (var * (n / (n - 1))).mean(0), momentum)
    return y


def layer_norm(input: torch.Tensor, normalized_shape: int | Sequence[int], weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """LayerNorm: statistics per sample over the trailing dims named by normalized_shape."""
    shape = normalized_shape_of(normalized_shape)
    _check_trailing(input, "layer_norm", shape, weight, bias)
    dims = reduces("LayerNorm", input.dim(), len(shape))  # the last len(shape) dims
    return normalize_checked(input, dims, eps, weight=weight, bias=bias)


def rms_norm(input: torch.Tensor, normalized_shape: int | Sequence[int], weight: torch.Tensor | None = None,
             eps: float | None = None) -> torch.Tensor:
    """RMSNorm: like LayerNorm without centering, dividing by the root mean square of the trailing dims."""
    shape = normalized_shape_of(normalized_shape)
    _check_trailing(input, "rms_norm", shape, weight, None)
    dims = reduces("RMSNorm", input.dim(), len(shape))
    eps = torch.finfo(input.dtype).eps if eps is None else eps
    return normalize_checked(input, dims, eps, center=False, weight=weight)


def group_norm(input: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """GroupNorm: channels split into groups; statistics per sample and group over its channels and space."""
    _check_group_norm(input, num_groups, weight, bias)
    x = input
    n, c = x.shape[:2]
    if x.numel() == 0:
        return affine(x * 1, _per_channel(weight, x), _per_channel(bias, x))
    # A group's channels and positions are reduced together, while gamma stays per channel.
    grouped = x.reshape(n, num_groups, c // num_groups, -1)  # (N, G, C/G, rest)
    per_channel = (1, num_groups, c // num_groups, 1)
    w = None if weight is None else weight.reshape(per_channel)
    b = None if bias is None else bias.reshape(per_channel)
    return normalize_checked(grouped, GROUPED_DIMS, eps, weight=w, bias=b).reshape(x.shape)
