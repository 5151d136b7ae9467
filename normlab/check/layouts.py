"""Exercise of notebook 06 (token layouts): BatchNorm1d on (B, T, E), by hand."""

from __future__ import annotations

import torch

from normlab.check.exercise import Exercise
from normlab.check.layernorm import seeded
from normlab.check.mistakes import normalization_outcomes, right
from normlab.check.verdict import Outcome

__all__ = ["tokens_batch_norm"]


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


tokens_batch_norm = Exercise(
    "tokens_batch_norm",
    "x has shape (B, T, E) = (2, 4, 3). Compute by hand what bn(x.transpose(1, 2)).transpose(1, 2) returns for "
    "bn = nn.BatchNorm1d(3) in training (gamma = 1, beta = 0, eps = 1e-5), in x's layout (B, T, E).",
    {"x": seeded((2, 4, 3), 60, (slice(None), slice(None), 2))},
    _tokens_outcomes)
