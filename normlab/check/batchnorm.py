"""Exercises of notebooks 01-03 (BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d), each checked by name.

Call an exercise with your answer: `check.batchnorm1d_2d(y)` shows ✓ or the mistake it recognises. Its data
are attributes: `check.batchnorm1d_2d.x`. Print the exercise to read its question.
"""

from __future__ import annotations

import torch

from normlab.check.exercise import Exercise
from normlab.check.mistakes import normalization_outcomes, right
from normlab.check.verdict import Outcome
from normlab.families import reduces

__all__ = ["batch_norm1d_affine", "batch_norm1d_3d", "batch_norm2d", "quiet_data"]


def quiet_data(shape: tuple[int, ...], seed: int, quiet_channel: int = 2) -> torch.Tensor:
    """Seeded float data whose `quiet_channel` barely varies, so that a misplaced eps visibly changes it."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 2 + 1
    x[:, quiet_channel] = 1e-3 * x[:, quiet_channel]
    return x


_AFFINE_MISTAKES = {"swapped": "each feature of your output has mean equal to its weight (gamma) and spread equal to "
                               "its |bias| (beta)",
                    "no_affine": "each feature of your output has mean 0 and variance 1: weight and bias left no mark",
                    "affine_first": "each feature of your output has mean 0 and variance 1 (up to its sign): weight "
                                    "and bias acted, then something undid them"}


def _affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
            dims: tuple[int, ...] = (0,)) -> tuple[list[Outcome], dict[str, str]]:
    """Normalization outcomes with gamma and beta, plus gamma/beta swapped, left out or applied first."""
    outcomes, messages = normalization_outcomes(x, dims, 1e-5, "BatchNorm1d", weight, bias)
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)  # one value per channel
    w, b = weight.double().reshape(shape), bias.double().reshape(shape)
    plain = right(normalization_outcomes(x, dims, 1e-5, "BatchNorm1d")[0])
    first = right(normalization_outcomes(x.double() * w + b, dims, 1e-5, "BatchNorm1d")[0])
    outcomes += [Outcome(plain * b + w, ("swapped",)), Outcome(plain, ("no_affine",)),
                 Outcome(first, ("affine_first",))]
    return outcomes, {**messages, **_AFFINE_MISTAKES}


batch_norm1d_affine = Exercise(
    "batch_norm1d_affine",
    "x has shape (N, C) = (6, 3). A BatchNorm1d(3) in training has weight (gamma) and bias (beta) as given. "
    "Compute its output by hand (eps = 1e-5).",
    {"x": quiet_data((6, 3), seed=1), "weight": torch.tensor([2.0, 0.5, -1.0]), "bias": torch.tensor([1.0, 3.0, 0.0])},
    _affine)

batch_norm1d_3d = Exercise(
    "batch_norm1d_3d",
    "x has shape (N, C, L) = (2, 3, 4); channel 2 barely varies. A BatchNorm1d(3) in training has weight (gamma) "
    "and bias (beta) as given, one value per channel. Compute its output by hand (eps = 1e-5).",
    {"x": quiet_data((2, 3, 4), seed=2), "weight": torch.tensor([2.0, 0.5, -1.0]),
     "bias": torch.tensor([1.0, 3.0, 0.0])},
    lambda x, weight, bias: _affine(x, weight, bias, reduces("BatchNorm1d", 3)))

batch_norm2d = Exercise(
    "batch_norm2d",
    "x holds 2 RGB images of 4 x 5 pixels channels-last, as image loaders give them: (N, H, W, C) = (2, 4, 5, 3); "
    "channel 2 barely varies. Compute by hand, without reordering x, what nn.BatchNorm2d(3) in training gives for "
    "these images (gamma = 1, beta = 0, eps = 1e-5), in the same (N, H, W, C) layout.",
    {"x": quiet_data((2, 3, 4, 5), seed=3).permute(0, 2, 3, 1).contiguous()},
    lambda x: normalization_outcomes(x, (0, 1, 2), 1e-5, "BatchNorm2d", layout="(N, H, W, C)"))
