"""Exercises of notebook 11: gradient accumulation, combine shard statistics, find the bug in a sync backward.

`combine_by_hand(fn)` calls fn(counts, means, m2s) -> (n, mean, var) with each shard's count, mean and M2 (the sum
of squared deviations from the shard's own mean) per channel, shape (shards, C), and compares with the whole batch's
statistics and with the usual slips: the plain average of the shard means, the variance within shards only, the
average of the shard variances, the unbiased variance. `bug_sync_backward(fn)` calls fn(g_hats, x_hats, invstd) ->
list of each rank's input gradient, every rank simulated in one process, and compares with BatchNorm's input gradient
on the whole batch.
"""

from __future__ import annotations

import torch

from normlab.check.exercise import prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.sync import combine

__all__ = ["combine_by_hand", "bug_sync_backward", "predict_accumulation", "combine_slips", "backward_slips",
           "backward", "backward_cases"]

PARTS = ("n", "mean", "var")


def _shard_case(label: str, shards: list[torch.Tensor]) -> Case:
    """The case for these shards: each one's count, mean and M2 per channel, each of shape (shards, C)."""
    counts = torch.stack([torch.full(s.shape[1:], float(len(s)), dtype=s.dtype) for s in shards])
    means = torch.stack([s.mean(0) for s in shards])
    m2s = torch.stack([((s - s.mean(0)) ** 2).sum(0) for s in shards])
    return Case(label, (counts, means, m2s))


def _cases() -> list[Case]:
    """Shards of unequal sizes whose means differ, so every slip shows."""
    out = []
    for k, sizes in enumerate(([5, 4, 3], [2, 10], [1, 6, 3, 2])):
        gen = torch.Generator().manual_seed(110 + k)
        shards = [torch.randn(n, 5, generator=gen, dtype=torch.float64) * (1 + i) + 2 * i for i, n in enumerate(sizes)]
        out.append(_shard_case(f"shards of sizes {sizes}", shards))
    gen = torch.Generator().manual_seed(113)  # float32 values near 10 000: a difference of raw moments cancels
    shards = [torch.randn(n, 5, generator=gen) + 10_000 + i for i, n in enumerate((5, 4, 3))]
    out.append(_shard_case("float32 shards of sizes [5, 4, 3] with values near 10 000", shards))
    return out


def _right(counts: torch.Tensor, means: torch.Tensor, m2s: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return combine(counts, means, m2s)[:3]


def _within(counts, means, m2s):  # noqa: ANN001, ANN202
    n = counts.sum(0)
    return n, (counts * means).sum(0) / n, m2s.sum(0) / n


def _raw_moments(counts, means, m2s):  # noqa: ANN001, ANN202 - E[x²] - E[x]², from each shard's sum of squares
    n = counts.sum(0)
    mean = (counts * means).sum(0) / n
    return n, mean, (m2s + counts * means ** 2).sum(0) / n - mean ** 2


def combine_slips() -> dict[str, tuple]:
    """Wrong combines and what each result shows (a symptom, not the fix)."""
    return {
        "plain_mean": (lambda c, m, s: (c.sum(0), m.mean(0), _right(c, m, s)[2]),
                       "n is right; your mean is off whenever the shards have unequal sizes"),
        "within_only": (_within, "n and the mean are right; your variance is too small whenever the shards' means "
                                 "differ"),
        "mean_of_vars": (lambda c, m, s: (c.sum(0), (c * m).sum(0) / c.sum(0), (s / c).mean(0)),
                         "n and the mean are right; your variance equals the plain average of the shards' "
                         "variances, which is off whenever the shards' means or sizes differ"),
        "raw_moments": (_raw_moments, "right on the float64 shards, but on the float32 ones near 10 000 your "
                                      "variance is far off: something subtracts two large, nearly equal numbers"),
        "unbiased": (lambda c, m, s: (c.sum(0), (c * m).sum(0) / c.sum(0), combine(c, m, s)[3]),
                     "n and the mean are right; your variance is the batch's times n / (n - 1): something divides "
                     "by n - 1"),
    }


combine_by_hand = FunctionExercise(
    "combine_by_hand", "Write combine(counts, means, m2s) -> (n, mean, var): the whole batch's count, mean and biased "
                       "variance per channel from each shard's count, mean and M2, all of shape (shards, C).",
    _cases, _right, combine_slips(), parts=PARTS, atol=1e-9, rtol=1e-4)

def backward_cases() -> list[Case]:
    """Three ranks' parts of x̂ and of the gradient at x̂, normalized with the whole batch's statistics."""
    out = []
    for k, sizes in enumerate(([5, 4, 3], [2, 8, 2], [4, 4, 4])):
        gen = torch.Generator().manual_seed(140 + k)
        x = torch.randn(sum(sizes), 3, generator=gen, dtype=torch.float64) * 2 + 1
        x[: sizes[0]] += 3  # rank 0's shard sits apart from the others
        g_hat = torch.randn(sum(sizes), 3, generator=gen, dtype=torch.float64)
        invstd = 1 / torch.sqrt(x.var(0, unbiased=False) + 1e-5)
        x_hat = (x - x.mean(0)) * invstd
        out.append(Case(f"3 ranks with shards of sizes {sizes}", (list(g_hat.split(sizes)), list(x_hat.split(sizes)),
                                                                  invstd)))
    return out


def backward(g_hats, x_hats, invstd, *, sums="all", count="all"):  # noqa: ANN001, ANN202
    n_all = sum(len(g) for g in g_hats)
    sum_g, sum_gx = sum(g.sum(0) for g in g_hats), sum((g * x).sum(0) for g, x in zip(g_hats, x_hats, strict=True))
    dxs = []
    for g, x in zip(g_hats, x_hats, strict=True):
        s_g, s_gx = (sum_g, sum_gx) if sums == "all" else (g.sum(0), (g * x).sum(0))
        n = n_all if count == "all" else len(g)
        dxs.append(invstd * (g - s_g / n - x * s_gx / n))
    return dxs


def backward_slips() -> dict[str, tuple]:
    """Wrong sync backwards and what each result shows (a symptom, not the fix)."""
    return {
        "original": (lambda *a: backward(*a, sums="own", count="own"),
                     "still the original bug: every rank's input gradient is off from BatchNorm's on the whole batch"),
        "own_count": (lambda *a: backward(*a, count="own"),
                      "closer, and still off on every rank: compare what each mean adds up with what it divides by"),
        "own_sums": (lambda *a: backward(*a, sums="own"),
                     "closer, and still off on every rank: compare what each mean adds up with what it divides by"),
    }


bug_sync_backward = FunctionExercise(
    "bug_sync_backward", "Repair sync_backward(g_hats, x_hats, invstd) -> every rank's input gradient, equal to "
                         "BatchNorm's on the whole batch.", backward_cases, backward, backward_slips(),
    parts=("rank 0's dx", "rank 1's dx", "rank 2's dx"), atol=1e-9)

_SAME = ("that holds for a layer that treats every sample on its own; ask which samples each micro-batch's "
         "BatchNorm output depends on")

predict_accumulation = prediction(
    "predict_accumulation",
    "A BatchNorm1d sees 4 micro-batches of 4 samples with gradients accumulated, or one batch of 16 (same samples, "
    "same loss). Is the weight gradient 'the same' or 'different'?",
    "different", {"the same": _SAME, "same": _SAME})
