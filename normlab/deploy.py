"""Fold an eval-mode BatchNorm into the Linear or convolution before it: one layer that computes both.

In eval mode BatchNorm is a fixed per-channel affine map: y = γ (z - μ) / σ + β with σ = sqrt(running_var + eps).
With z = W x + b from the layer before, y = (W γ/σ) x + (b - μ) γ/σ + β: the folded layer has
W' = W · γ/σ (each output channel's row scaled) and b' = (b - μ) · γ/σ + β.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from normlab.stats import eval_scale_shift

__all__ = ["FOLDABLE", "fold_batchnorm"]

FOLDABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _check(layer: nn.Module, bn: nn.Module) -> int:
    """The number of output channels, after checking that this pair can be folded."""
    if not isinstance(layer, FOLDABLE):
        raise TypeError(f"fold_batchnorm folds a BatchNorm into the Linear or Conv1d/2d/3d before it, got "
                        f"{type(layer).__name__}.")
    if not isinstance(bn, nn.modules.batchnorm._BatchNorm):  # torch's base of BatchNorm1d/2d/3d
        raise TypeError(f"fold_batchnorm(layer, bn): bn must be a BatchNorm1d/2d/3d, got {type(bn).__name__}.")
    if bn.training:
        raise ValueError(f"{bn} is in training mode: it normalizes with each batch's own statistics, which no fixed "
                         "layer can reproduce. Fold for inference: call model.eval() first.")
    if bn.running_mean is None:
        raise ValueError(f"{bn} keeps no running statistics (track_running_stats=False): in eval it still uses "
                         "batch statistics, so there is nothing fixed to fold.")
    out = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
    if out != bn.num_features:
        raise ValueError(f"{type(layer).__name__} has {out} output channels but {type(bn).__name__} normalizes "
                         f"{bn.num_features}: fold a BatchNorm into the layer that feeds it.")
    return out


@torch.no_grad()
def fold_batchnorm(layer: nn.Module, bn: nn.Module) -> nn.Module:
    """A new layer of layer's kind equal to bn(layer(x)) in eval mode (layer and bn are not changed)."""
    out = _check(layer, bn)
    # bn(W x + b) = (W x) · scale + shift per channel: scale = γ/σ, shift = (b - μ) · γ/σ + β, in float32 at least
    scale, shift = eval_scale_shift(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps, before=layer.bias)
    folded = copy.deepcopy(layer)
    shape = (out, *(1,) * (layer.weight.dim() - 1))                      # one scale per output channel (row)
    folded.weight.copy_((layer.weight.to(scale.dtype) * scale.view(shape)).to(layer.weight.dtype))  # W' = W · γ/σ
    folded.bias = nn.Parameter(shift.to(layer.weight.dtype))  # b' = (b - μ) · γ/σ + β
    return folded
