"""Exercises of notebook 04 (LayerNorm): channels-only LayerNorm on NCHW, affine shape."""

from __future__ import annotations

import torch

from normlab.check.exercise import Exercise
from normlab.check.mistakes import normalization_outcomes, right
from normlab.check.verdict import Outcome

__all__ = ["layer_norm_channels", "layer_norm_weight_shape", "seeded"]


def seeded(shape: tuple[int, ...], seed: int, quiet: tuple) -> torch.Tensor:
    """Seeded data (mean 1, std 2) whose group x[quiet] barely varies, so a misplaced eps visibly changes it."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 2 + 1
    x[quiet] = 1 + 1e-3 * x[quiet]
    return x


def _channels_outcomes(x: torch.Tensor) -> tuple[list[Outcome], dict[str, str]]:
    """Channels-only LayerNorm outcomes, plus the right values left channels last, or moved by reshape."""
    outcomes, messages = normalization_outcomes(x, (1,), 1e-5, "a channels-only LayerNorm(C)", layout="(N, C, H, W)")
    n, c, h, w = x.shape
    moved = x.reshape(n, h, w, c)  # the reshape a learner writes for "channels last"
    scrambled = right(normalization_outcomes(moved, (3,), 1e-5, "LayerNorm(C)", layout="(N, H, W, C)")[0])
    messages["not_back"] = f"right values, but your tensor has shape {(n, h, w, c)}: the layout (N, H, W, C)"
    messages["reshape"] = ("the groups of your result mix channels and pixels: the values normalized together are "
                           "not the C channel values of one pixel")
    return [*outcomes, Outcome(right(outcomes).permute(0, 2, 3, 1), ("not_back",)),
            Outcome(scrambled.reshape(n, c, h, w), ("reshape",))], messages


layer_norm_channels = Exercise(
    "layer_norm_channels",
    "x has shape (N, C, H, W) = (2, 3, 2, 2). Compute by hand a channels-only LayerNorm: for every sample and "
    "pixel, normalize the C = 3 channel values. Keep x's layout (N, C, H, W).",
    {"x": seeded((2, 3, 2, 2), 41, (0, slice(None), 0, 0))},
    _channels_outcomes)

_SHAPE_MISTAKES = {
    "per_channel": "that shape is one gamma per channel, shared by every pixel of the channel",
    "with_batch": "a gamma of that shape would be different for every sample of the batch",
    "broadcast": "that shape has a size-1 batch dim: it is how gamma can be viewed to broadcast against x",
    "last_dim": "that shape is one gamma per position along the last dim only",
}

layer_norm_weight_shape = Exercise(
    "layer_norm_weight_shape",
    "x has shape (N, C, H, W) = (8, 16, 5, 5) and goes through nn.LayerNorm([16, 5, 5]). What is the shape of "
    "the layer's weight (gamma)? Answer with a tuple.",
    {"shape": (8, 16, 5, 5)},
    lambda shape: ([Outcome(tuple(shape[1:])), Outcome((shape[1],), ("per_channel",)),
                    Outcome(tuple(shape), ("with_batch",)), Outcome((1, *shape[1:]), ("broadcast",)),
                    Outcome((shape[-1],), ("last_dim",))], _SHAPE_MISTAKES))
