"""From-scratch twins of torch.nn.functional's normalizations: each one is `normalize` over some dims.

Each function checks its inputs as torch does (normlab.errors: torch's words plus a hint), picks the reduction
dims, and calls normlab.fast.normalize, the fast twin of the readable normlab.core.normalize.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from normlab import errors
from normlab.core import normalize
from normlab.fast import affine, count_per_stat, normalize_with_stats, opmath
from normlab.fast import normalize as fast_normalize

__all__ = ["normalize", "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]


def _per_channel(t: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
    """A per-channel vector viewed as (1, C, 1, ...) to broadcast over x; None stays None."""
    return None if t is None else t.reshape((1, x.shape[1]) + (1,) * (x.dim() - 2))


def _empty(x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None) -> torch.Tensor:
    """torch's answer for an input with no elements: a copy, still connected to the graph through gamma and beta."""
    out = x.clone()
    if weight is not None:
        out = out * weight[0]
    return out if bias is None else out + bias[0]


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


def _update_running(running_mean: torch.Tensor | None, running_var: torch.Tensor | None, mean: torch.Tensor,
                    unbiased_var: torch.Tensor, momentum: float) -> None:
    """In place: running = (1 - momentum) * running + momentum * batch statistic (torch < 2.8 allows only one).

    The batch statistics never carry gradients (normalize_with_stats returns them detached), so no no_grad
    context is needed: entering one costs as much as the update of a small layer.
    """
    for running, batch in ((running_mean, mean), (running_var, unbiased_var)):
        if running is not None:
            batch = batch.reshape(-1)
            running.lerp_(batch if batch.dtype == running.dtype else batch.to(running.dtype), momentum)


def _with_running_stats(x: torch.Tensor, running_mean: torch.Tensor, running_var: torch.Tensor,
                        weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float) -> torch.Tensor:
    """Eval mode: (x - running_mean) / sqrt(running_var + eps), then gamma and beta."""
    x_hat = (opmath(x) - _per_channel(running_mean, x)) * torch.rsqrt(_per_channel(running_var, x) + eps)
    return affine(x_hat, _per_channel(weight, x), _per_channel(bias, x)).to(x.dtype)


def batch_norm(input: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-05) -> torch.Tensor:
    """BatchNorm: statistics per channel over the batch and every spatial dim, i.e. dims (0, 2, 3, ...)."""
    x = input
    if training:
        errors.check_batch_size(x)
    errors.check_eps(eps, training)
    if x.numel() == 0:
        return _empty(x, weight, bias)
    errors.check_running_pair(running_mean, running_var, training)
    _check_channelwise(x, "batch_norm", running_mean, running_var, weight, bias)
    if momentum is None:
        raise TypeError("batch_norm(): argument 'momentum' must be float, not NoneType\n  hint: the cumulative "
                        "average of nn.BatchNorm(momentum=None) is momentum = 1 / num_batches_tracked.")
    if not training:
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    dims = (0, *range(2, x.dim()))  # the batch and every spatial dim
    y, mean, var = normalize_with_stats(x, dims, eps, True, _per_channel(weight, x), _per_channel(bias, x))
    if running_mean is not None or running_var is not None:
        n = count_per_stat(x, dims)  # running_var stores the UNBIASED variance: n / (n - 1) times the output's
        _update_running(running_mean, running_var, mean, var * (n / (n - 1)), momentum)
    return y


def instance_norm(input: torch.Tensor, running_mean: torch.Tensor | None = None,
                  running_var: torch.Tensor | None = None, weight: torch.Tensor | None = None,
                  bias: torch.Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-05) -> torch.Tensor:
    """InstanceNorm: statistics per sample and channel over the spatial dims (2, 3, ...)."""
    x = input
    if x.numel() == 0 and x.dim() >= 2:
        return _empty(x, weight, bias)
    _check_channelwise(x, "instance_norm", running_mean, running_var, weight, bias)
    dims = tuple(range(2, x.dim()))  # every spatial dim, per sample and channel
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is "
                               "false\n  hint: with use_input_stats=False (eval with track_running_stats=True) the "
                               "stored running statistics are used, so pass them.")
        return _with_running_stats(x, running_mean, running_var, weight, bias, eps)
    n = count_per_stat(x, dims)
    errors.check_values_per_stat(x, n, "instance")
    errors.check_running_pair(running_mean, running_var, True)
    y, mean, var = normalize_with_stats(x, dims, eps, True, _per_channel(weight, x), _per_channel(bias, x))
    if running_mean is not None or running_var is not None:  # the average over the batch of each sample's statistics
        _update_running(running_mean, running_var, mean.mean(0), (var * (n / (n - 1))).mean(0), momentum)
    return y


def _trailing(x: torch.Tensor, normalized_shape: int | Sequence[int], weight: torch.Tensor | None,
              bias: torch.Tensor | None) -> tuple[int, ...]:
    """Check normalized_shape against x's trailing dims and the affine's shape; return the dims it names."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    errors.check_trailing_shape(x, shape)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                               f"shape {list(p.shape)} and normalized_shape = {list(shape)}\n  hint: the "
                               f"elementwise affine has one value per normalized element: shape {shape}.")
    return tuple(range(x.dim() - len(shape), x.dim()))


def layer_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """LayerNorm: statistics per sample over the trailing dims named by normalized_shape."""
    errors.check_floating(input, "layer_norm")
    dims = _trailing(input, normalized_shape, weight, bias)
    return fast_normalize(input, dims, eps, weight=weight, bias=bias)


def rms_norm(input: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None,
             eps: float | None = None) -> torch.Tensor:
    """RMSNorm: like LayerNorm without centering, dividing by the root mean square of the trailing dims."""
    errors.check_floating(input, "rms_norm")
    dims = _trailing(input, normalized_shape, weight, None)
    eps = torch.finfo(input.dtype).eps if eps is None else eps
    return fast_normalize(input, dims, eps, center=False, weight=weight)


def group_norm(input: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-05) -> torch.Tensor:
    """GroupNorm: channels split into groups; statistics per sample and group over its channels and space."""
    x = input
    errors.check_floating(x, "group_norm")
    errors.check_min_ndim(x, 2, "group_norm")
    errors.check_groups(x, num_groups)
    n, c = x.shape[:2]
    if n * c // num_groups * count_per_stat(x, range(2, x.dim())) == 1:  # torch's own (odd) one-value check
        errors.check_values_per_stat(x, 1, "channel")
    errors.check_param(weight, c, "weight", x)
    errors.check_param(bias, c, "bias", x)
    if x.numel() == 0:
        return affine(x * 1, _per_channel(weight, x), _per_channel(bias, x))
    # (N, G, C/G, rest): a group's channels and positions are reduced together, while gamma stays per channel.
    grouped, shape = x.reshape(n, num_groups, c // num_groups, -1), (1, num_groups, c // num_groups, 1)
    w = None if weight is None else weight.reshape(shape)
    b = None if bias is None else bias.reshape(shape)
    return fast_normalize(grouped, (2, 3), eps, weight=w, bias=b).reshape(x.shape)
