"""Input checks that raise torch's exception type with torch's words, plus a hint that teaches the fix.

Every function here only checks and raises (check_dims also returns the dims it checked, in canonical form).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from normlab.families import LAYERS
from normlab.layouts import layout_of
from normlab.versions import pairs_running_stats, refuses_empty_group_norm, refuses_eps, torch_version

__all__ = ["NormlabHint", "check_dims", "check_floating", "check_eps", "check_min_ndim", "check_batch_size",
           "check_values_per_stat", "check_channels", "check_param", "check_trailing_shape", "check_running_pair",
           "check_layer_ndim", "check_groups"]


class NormlabHint(Exception):
    """Marker mixin: every normlab error carries torch's message first, then a line starting 'hint:'."""


_KINDS = {k: type(k.__name__, (k, NormlabHint), {"__module__": __name__})
          for k in (ValueError, RuntimeError, NotImplementedError, TypeError, IndexError)}


def _raise(kind: type[Exception], torch_words: str, hint: str) -> None:
    """Raise `kind` (torch's own exception type) whose message is torch's words and a teaching hint."""
    raise _KINDS[kind](f"{torch_words}\n  hint: {hint}")


def check_dims(x: torch.Tensor, dims: int | Sequence[int], allow_empty: bool = False) -> tuple[int, ...]:
    """Reduction dims must exist in x, each once; returns them sorted and non-negative (-1 -> x.dim() - 1)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims and not allow_empty:
        raise ValueError("normalize needs at least one reduction dim: with none, every element is its own group, "
                         "its mean is itself and its variance 0, so the output would be all zeros.")
    if any(not -x.dim() <= d < x.dim() for d in dims):
        raise ValueError(f"dims {dims} out of range for a {x.dim()}-D tensor {layout_of(x.dim())} of shape "
                         f"{tuple(x.shape)}: use dims from 0 to {x.dim() - 1} (or negative ones from the end).")
    out = tuple(sorted({d % x.dim() for d in dims}))
    if len(out) != len(dims):
        raise ValueError(f"dims {dims} names a dim twice: list each reduction dim once.")
    return out


def check_floating(x: torch.Tensor, op: str) -> None:
    """Normalization needs floating point: integer tensors have no fractional mean or variance."""
    if not x.is_floating_point():
        dtype = {torch.int64: "Long", torch.int32: "Int", torch.bool: "Bool"}.get(x.dtype, str(x.dtype))
        _raise(NotImplementedError, f'"{op}" not implemented for \'{dtype}\'',
               f"{op} needs a floating-point tensor, but x has dtype {x.dtype}; convert it first with "
               "x = x.float() (e.g. torch.arange(12).reshape(3, 4).float()).")


def check_eps(eps: float, training: bool, op: str = "batch_norm") -> None:
    """The eps this torch refuses, in its words (the rule changed in torch 2.10 and 2.12: versions.refuses_eps)."""
    if not refuses_eps(eps, training):
        return
    if torch_version() < (2, 12):
        words = f"{op} eps must be positive, but got {eps}"
    else:
        words = f"{op} eps must be {'positive during training' if training else 'non-negative'}, but got {eps}"
    if eps < 0:
        _raise(ValueError, words, "eps is added to the variance under a square root; a negative eps can make "
               "it negative.")
    _raise(ValueError, words, "eps keeps sqrt(var + eps) away from zero when a channel is constant; use the "
           "default eps=1e-5 (torch before 2.10 accepted eps=0.0).")


def check_min_ndim(x: torch.Tensor, ndim: int, op: str) -> None:
    """Channel-wise norms read dim 1 as channels, so they need at least (N, C)."""
    if x.dim() < ndim:
        _raise(RuntimeError, f"Expected at least {ndim} dimensions for input tensor but received {x.dim()}",
               f"{op} reads dim 0 as the batch N and dim 1 as channels C, so x needs a layout like "
               f"(N, C); for a single sample of shape {tuple(x.shape)} add a batch dim: x.unsqueeze(0).")


def check_batch_size(x: torch.Tensor) -> None:
    """torch's own training check: N times the spatial sizes must not be 1 (one value per channel)."""
    if x.dim() and x.shape[0] * math.prod(x.shape[2:]) == 1:
        check_values_per_stat(x, 1, "channel")


def check_values_per_stat(x: torch.Tensor, count: int, what: str) -> None:
    """One value per statistic gives var = 0 and an output of zeros: torch refuses it in training."""
    if count == 1:
        words = "spatial element" if what == "instance" else "value per channel"
        _raise(ValueError, f"Expected more than 1 {words} when training, got input size {x.size()}",
               f"in training each statistic is computed from the values it reduces over, and here each "
               f"{'instance' if what == 'instance' else 'channel'} has only one, so var = 0 and every "
               "output would be 0. Use a batch of at least 2, or call model.eval() to use running stats.")


def _channel_fix(shape: Sequence[int], expected: int) -> str:
    """Suggest the transpose/permute that moves a channel dim found elsewhere to dim 1."""
    if len(shape) == 3 and shape[2] == expected:
        return ("x looks like (B, T, E) tokens with features last; BatchNorm1d wants (N, C, L): "
                "use bn(x.transpose(1, 2)).transpose(1, 2), or LayerNorm(E) for per-token statistics.")
    if len(shape) == 4 and shape[3] == expected:
        return ("x looks like NHWC (channels last); BatchNorm2d wants (N, C, H, W): "
                "use bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).")
    return f"check that the layer was built for {shape[1] if len(shape) > 1 else '?'} channels, or fix x's layout."


def check_channels(x: torch.Tensor, expected: int, what: str = "running_mean",
                   kind: type[Exception] = RuntimeError) -> None:
    """The channel count is read from dim 1; say so, and how to move the channels there."""
    got = x.shape[1]
    if got != expected:
        _raise(kind, f"{what} should contain {got} elements not {expected}",
               f"x has shape {tuple(x.shape)}, read as {layout_of(x.dim())}, so C = x.shape[1] = {got}, "
               f"but the layer holds statistics for C = {expected}. " + _channel_fix(x.shape, expected))


def check_param(p: torch.Tensor | None, count: int, what: str, x: torch.Tensor) -> None:
    """A per-channel weight, bias or running stat must hold one value per channel."""
    if p is not None and p.numel() != count:
        _raise(RuntimeError, f"{what} should contain {count} elements not {p.numel()}",
               f"x has shape {tuple(x.shape)} with C = x.shape[1] = {count} channels, so {what} needs "
               f"shape ({count},), but it has shape {tuple(p.shape)}.")


def check_trailing_shape(x: torch.Tensor, shape: Sequence[int], op: str = "normalized_shape") -> None:
    """normalized_shape names the trailing dims of x; explain the NCHW trap when it does not match."""
    shape = list(shape)
    k = len(shape)
    if k == 0 or k > x.dim() or list(x.shape[x.dim() - k:]) != shape:
        hint = (f"{op} must equal the LAST {k} dim(s) of x, here {list(x.shape[x.dim() - k:])}: "
                f"LayerNorm({shape}) normalizes each sample over its trailing dims.")
        if x.dim() == 4 and k == 1 and x.shape[1] == shape[0]:
            hint += (" x looks like (N, C, H, W) with C = x.shape[1]; for a channels-only LayerNorm "
                     "permute channels last: ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), "
                     f"or use normalized_shape={list(x.shape[1:])} for per-sample statistics.")
        _raise(RuntimeError, f"Given normalized_shape={shape}, expected input with shape "
               f"[*, {', '.join(map(str, shape))}], but got input of size{list(x.shape)}", hint)


def check_running_pair(mean: torch.Tensor | None, var: torch.Tensor | None, training: bool) -> None:
    """Running mean and variance come as a pair (torch >= 2.8), and eval mode needs them."""
    if (mean is None) != (var is None) and pairs_running_stats():
        _raise(ValueError, "running_mean and running_var must either both be None or neither be None",
               "pass both running statistics (they are updated together) or neither.")
    for name, t in (("running_mean", mean), ("running_var", var)):
        if t is None and not training:
            _raise(RuntimeError, f"{name} must be defined in evaluation mode",
                   "eval mode normalizes with stored running statistics; pass running_mean and running_var, "
                   "or use training=True to normalize with the batch's own statistics.")


def check_groups(x: torch.Tensor, num_groups: int) -> None:
    """GroupNorm splits C = x.shape[1] channels into num_groups equal groups (and, from torch 2.14, needs both)."""
    c = x.shape[1]
    if refuses_empty_group_norm():
        if c == 0:
            _raise(RuntimeError, "Expected number of channels to be greater than 0, got 0", "x.shape[1] holds the "
                   f"channels GroupNorm splits into groups, and x of shape {list(x.shape)} has none.")
        if (positions := math.prod(x.shape[2:])) == 0:
            _raise(RuntimeError, f"Expected HxW to be greater than 0, got {positions}", "GroupNorm reduces over "
                   f"each group's channels and positions (dims 2 onwards), and x of shape {list(x.shape)} has none.")
    if num_groups <= 0 or c % num_groups:
        _raise(RuntimeError, f"Expected number of channels in input to be divisible by num_groups, but got input "
               f"of shape {list(x.shape)} and num_groups={num_groups}", f"C = x.shape[1] = {c} channels are split "
               f"into num_groups equal groups; pick a divisor of {c}.")


def _batch_norm_for(ndim: int) -> str | None:
    """The BatchNorm layer written for an ndim-D input (normlab.families), e.g. 4 -> 'BatchNorm2d'."""
    return next((lay.name for lay in LAYERS.values() if lay.family.name == "BatchNorm" and ndim in lay.ranks), None)


def check_layer_ndim(x: torch.Tensor, allowed: tuple[int, ...], layer: str) -> None:
    """A layer built for one layout got another: name the layout expected and the likely fix."""
    if x.dim() in allowed:
        return
    want = " or ".join(f"{n}D" for n in allowed)
    layouts = " or ".join(layout_of(n) for n in allowed)
    if x.dim() == min(allowed) - 1:
        fix = f"if x is a single sample, add the batch dim: {layer}(...)(x.unsqueeze(0))."
    elif layer.startswith("BatchNorm") and (wanted := _batch_norm_for(x.dim())):
        fix = f"a {layout_of(x.dim())} tensor wants nn.{wanted}(C) instead."
    else:
        fix = f"reshape x to {layouts}."
    _raise(ValueError, f"expected {want} input (got {x.dim()}D input)",
           f"{layer} takes {layouts}, but x has shape {tuple(x.shape)}; {fix}")
