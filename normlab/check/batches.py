"""Exercises of notebook 11: combine shard statistics, find the bug in a combine, and gradient accumulation.

`combine_by_hand(fn)` calls fn(counts, means, m2s) -> (n, mean, var) with each shard's count, mean and M2 (the sum
of squared deviations from the shard's own mean) per channel, shape (shards, C), and compares with the whole batch's
statistics and with the usual slips: the plain average of the shard means, the variance within shards only, the
average of the shard variances, the unbiased variance.
"""

from __future__ import annotations

import torch

from normlab.check.core import prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.sync import combine

__all__ = ["combine_by_hand", "bug_combine", "predict_accumulation", "combine_slips"]

PARTS = ("n", "mean", "var")


def _cases() -> list[Case]:
    """Shards of unequal sizes whose means differ, so every slip shows."""
    out = []
    for k, sizes in enumerate(([5, 4, 3], [2, 10], [1, 6, 3, 2])):
        gen = torch.Generator().manual_seed(110 + k)
        shards = [torch.randn(n, 3, generator=gen, dtype=torch.float64) * (1 + i) + 2 * i for i, n in enumerate(sizes)]
        counts = torch.tensor([[float(len(s))] * 3 for s in shards], dtype=torch.float64)
        means = torch.stack([s.mean(0) for s in shards])
        m2s = torch.stack([((s - s.mean(0)) ** 2).sum(0) for s in shards])
        out.append(Case(f"shards of sizes {sizes}", (counts, means, m2s)))
    return out


def _right(counts: torch.Tensor, means: torch.Tensor, m2s: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return combine(counts, means, m2s)[:3]


def _within(counts, means, m2s):  # noqa: ANN001, ANN202
    n = counts.sum(0)
    return n, (counts * means).sum(0) / n, m2s.sum(0) / n


def combine_slips() -> dict[str, tuple]:
    """Wrong combines and what each gets wrong, in words."""
    return {
        "plain_mean": (lambda c, m, s: (c.sum(0), m.mean(0), _right(c, m, s)[2]),
                       "the mean of unequal shards is not the plain average of their means: weigh each by its count"),
        "within_only": (_within, "the variance leaves out the spread between the shards: their means differ from the "
                                 "overall mean"),
        "mean_of_vars": (lambda c, m, s: (c.sum(0), (c * m).sum(0) / c.sum(0), (s / c).mean(0)),
                         "averaging the shards' variances leaves out the spread between shards and ignores their "
                         "sizes"),
        "unbiased": (lambda c, m, s: (c.sum(0), (c * m).sum(0) / c.sum(0), combine(c, m, s)[3]),
                     "that is the unbiased variance (divided by n - 1); BatchNorm normalizes with the biased one"),
    }


combine_by_hand = FunctionExercise(
    "combine_by_hand", "Write combine(counts, means, m2s) -> (n, mean, var): the whole batch's count, mean and biased "
                       "variance per channel from each shard's count, mean and M2, all of shape (shards, C).",
    _cases, _right, combine_slips(), parts=PARTS, atol=1e-9)

bug_combine = FunctionExercise(
    "bug_combine", "Repair my_combine(counts, means, m2s) -> (n, mean, var).",
    _cases, _right, {"original": (_within, "still the original bug: n and the mean are right, the variance is right "
                                           "only when every shard has the same mean and too small otherwise"),
                     **combine_slips()}, parts=PARTS, atol=1e-9)

predict_accumulation = prediction(
    "predict_accumulation",
    "A BatchNorm1d sees 4 micro-batches of 4 samples with gradients accumulated, or one batch of 16 (same samples, "
    "same loss). Is the weight gradient 'the same' or 'different'?",
    "different", {"the same": "each micro-batch is normalized with its own 4 samples' statistics, so the outputs, "
                              "and every gradient, are not those of the batch of 16",
                  "same": "each micro-batch is normalized with its own 4 samples' statistics, so the outputs, and "
                          "every gradient, are not those of the batch of 16"})
