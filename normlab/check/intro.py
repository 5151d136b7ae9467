"""Exercises of notebook 00: name the reduction dims of a layer by reproducing it with `normalize`."""

from __future__ import annotations

import torch

from normlab.check.exercise import Exercise
from normlab.check.mistakes import normalization_outcomes

__all__ = ["instance_norm_dims", "layer_norm_dims"]


def _x() -> torch.Tensor:
    """Seeded (N, C, L) = (2, 3, 4) data with per-channel offsets, so that every choice of dims differs."""
    gen = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, 4, generator=gen) * 2 + torch.tensor([0.0, 5.0, -3.0]).reshape(1, 3, 1)


instance_norm_dims = Exercise(
    "instance_norm_dims",
    "x has shape (N, C, L) = (2, 3, 4). nn.InstanceNorm1d(3), which notebook 09 meets properly, normalizes each "
    "channel of each sample on its own: one mean and variance per (sample, channel). Reproduce its output "
    "(eps = 1e-5) with normlab.normalize(x, dims).",
    {"x": _x()},
    lambda x: normalization_outcomes(x, (2,), 1e-5, "InstanceNorm1d"))


def _images() -> torch.Tensor:
    """Seeded (N, C, H, W) = (2, 3, 4, 5) images with per-channel offsets, so that every choice of dims differs; the
    second image is faint (it barely varies), so that eps shows."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 4, 5, generator=gen) * 2 + torch.tensor([0.0, 5.0, -3.0]).reshape(1, 3, 1, 1)
    return x * torch.tensor([1.0, 1e-3]).reshape(2, 1, 1, 1)


layer_norm_dims = Exercise(
    "layer_norm_dims",
    "x is a batch of images, (N, C, H, W) = (2, 3, 4, 5); the second image is faint. Compute what "
    "nn.LayerNorm([3, 4, 5], elementwise_affine=False) returns (eps = 1e-5) with elementary tensor operations.",
    {"x": _images()},
    lambda x: normalization_outcomes(x, (1, 2, 3), 1e-5, "LayerNorm([C, H, W])"))
