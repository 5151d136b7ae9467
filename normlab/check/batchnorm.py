"""Exercises of notebooks 01-03 (BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d), each checked by name.

Call an exercise with your answer: `check.batchnorm1d_2d(y)` shows ✓ or the mistake it recognises. Its data
are attributes: `check.batchnorm1d_2d.x`. Print the exercise to read its question.
"""

from __future__ import annotations

import torch

from normlab.check.core import Exercise
from normlab.check.mistakes import normalization_outcomes, right, running_outcomes
from normlab.check.verdict import Outcome

__all__ = ["batchnorm1d_affine", "batchnorm1d_running_var", "batchnorm1d_3d", "batchnorm2d", "batchnorm2d_weight_shape",
           "quiet_data"]


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


batchnorm1d_affine = Exercise(
    "batchnorm1d_affine",
    "x has shape (N, C) = (6, 3). A BatchNorm1d(3) in training has weight (gamma) and bias (beta) as given. "
    "Compute its output by hand (eps = 1e-5).",
    {"x": quiet_data((6, 3), seed=1), "weight": torch.tensor([2.0, 0.5, -1.0]), "bias": torch.tensor([1.0, 3.0, 0.0])},
    _affine)

batchnorm1d_running_var = Exercise(
    "batchnorm1d_running_var",
    "x (shape (6, 3)) goes once through a fresh nn.BatchNorm1d(3) (momentum = 0.1) in training. Compute its "
    "running_var by hand.",
    {"x": quiet_data((6, 3), seed=1)},
    lambda x: running_outcomes(torch.ones(3), x.double().var(0, correction=0), 0.1, n=x.shape[0]))

batchnorm1d_3d = Exercise(
    "batchnorm1d_3d",
    "x has shape (N, C, L) = (2, 3, 4); channel 2 barely varies. A BatchNorm1d(3) in training has weight (gamma) "
    "and bias (beta) as given, one value per channel. Compute its output by hand (eps = 1e-5).",
    {"x": quiet_data((2, 3, 4), seed=2), "weight": torch.tensor([2.0, 0.5, -1.0]),
     "bias": torch.tensor([1.0, 3.0, 0.0])},
    lambda x, weight, bias: _affine(x, weight, bias, (0, 2)))

batchnorm2d = Exercise(
    "batchnorm2d",
    "x holds 2 RGB images of 4 x 5 pixels channels-last, as image loaders give them: (N, H, W, C) = (2, 4, 5, 3); "
    "channel 2 barely varies. Compute by hand, without reordering x, what nn.BatchNorm2d(3) in training gives for "
    "these images (gamma = 1, beta = 0, eps = 1e-5), in the same (N, H, W, C) layout.",
    {"x": quiet_data((2, 3, 4, 5), seed=3).permute(0, 2, 3, 1).contiguous()},
    lambda x: normalization_outcomes(x, (0, 1, 2), 1e-5, "BatchNorm2d", layout="(N, H, W, C)"))

_SHAPE_MISTAKES = {
    "d2l_shape": "that is the shape d2l's from-scratch BatchNorm gives gamma, with size-1 dims so that it "
                 "broadcasts; torch's layer stores it differently",
    "layernorm_shape": "that shape is one gamma per channel and pixel",
    "batch_shape": "that shape is one gamma per image of the batch",
    "spatial_shape": "that shape is one gamma per pixel position, shared by the channels",
}

batchnorm2d_weight_shape = Exercise(
    "batchnorm2d_weight_shape",
    "x has shape (N, C, H, W) = (8, 16, 5, 5) and goes through nn.BatchNorm2d(16). What is the shape of the "
    "layer's weight (gamma)? Answer with a tuple.",
    {"shape": (8, 16, 5, 5)},
    lambda shape: ([Outcome((shape[1],)), Outcome((1, shape[1], 1, 1), ("d2l_shape",)),
                    Outcome(tuple(shape[1:]), ("layernorm_shape",)), Outcome((shape[0],), ("batch_shape",)),
                    Outcome(tuple(shape[2:]), ("spatial_shape",))], _SHAPE_MISTAKES))
