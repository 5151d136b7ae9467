"""Exercises of notebook 06 (token and image layouts): BatchNorm1d on (B, T, E), the NHWC permute."""

from __future__ import annotations

import torch

from normlab.check.core import Exercise
from normlab.check.layernorm import seeded
from normlab.check.mistakes import normalization_outcomes, right
from normlab.check.verdict import Outcome

__all__ = ["tokens_batchnorm", "nhwc_to_nchw"]


def _tokens_outcomes(x: torch.Tensor) -> tuple[list[Outcome], dict[str, str]]:
    """BatchNorm1d(E) through the transpose: per embedding feature over (B, T); mistakes in B, T, E letters."""
    outcomes, messages = normalization_outcomes(x, (0, 1), 1e-5, "bn(x.transpose(1, 2)).transpose(1, 2)",
                                                layout="(B, T, E)")
    b, t, e = x.shape
    scrambled = right(normalization_outcomes(x.reshape(b, e, t), (0, 2), 1e-5, "BatchNorm1d(E)")[0])
    messages["not_back"] = f"right values, but your tensor has shape {(b, e, t)}: the layout (B, E, T)"
    messages["reshape"] = ("the groups of your result mix tokens and features: the values normalized together are "
                           "not one feature's values over the batch")
    return [*outcomes, Outcome(right(outcomes).transpose(1, 2), ("not_back",)),
            Outcome(scrambled.reshape(b, t, e), ("reshape",))], messages


tokens_batchnorm = Exercise(
    "tokens_batchnorm",
    "x has shape (B, T, E) = (2, 4, 3). Compute by hand what bn(x.transpose(1, 2)).transpose(1, 2) returns for "
    "bn = nn.BatchNorm1d(3) in training (gamma = 1, beta = 0, eps = 1e-5), in x's layout (B, T, E).",
    {"x": seeded((2, 4, 3), 60, (slice(None), slice(None), 2))},
    _tokens_outcomes)

_PERMUTE_MISTAKES = {
    "inverse": "x.permute with that order gives shape (N, W, C, H) here: try it on a tensor of shape (2, 5, 7, 3)",
    "swapped_hw": "x.permute with that order gives the right shape only when H == W: the image comes out "
                  "transposed",
    "reshape": "those are sizes, not dim indices: permute takes a reordering of 0, 1, 2, 3",
}

nhwc_to_nchw = Exercise(
    "nhwc_to_nchw",
    "x has shape (N, H, W, C) (channels last, as images load from disk). Which dims order, passed to x.permute, "
    "gives the (N, C, H, W) layout nn.BatchNorm2d expects? Answer with a tuple of 4 ints.",
    {"shape": (2, 5, 7, 3)},
    lambda shape: ([Outcome((0, 3, 1, 2)), Outcome((0, 2, 3, 1), ("inverse",)), Outcome((0, 3, 2, 1), ("swapped_hw",)),
                    Outcome((shape[0], shape[3], shape[1], shape[2]), ("reshape",))], _PERMUTE_MISTAKES))
