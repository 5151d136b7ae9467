"""Find-the-bug tasks of notebooks 00-06: a broken function to repair, checked by calling the learner's version.

Each task's `broken` function is shown in the notebook; handed back unrepaired, the checker describes the symptom
(what goes wrong, on which input), never the fix. Other slips are named as in the compute exercises.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from normlab.check.batchnorm import quiet_data
from normlab.check.functions import Case, FunctionExercise

__all__ = ["bug_layer_norm", "bug_batch_norm", "bug_channel_loop", "bug_comparison", "bug_predict", "bug_nhwc",
           "layer_norm_broken", "bn_eps_broken", "channel_loop_broken", "compare_broken", "predict_broken",
           "nhwc_broken"]

EPS = 1e-5


def _seeded(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 2 + 1


# 00: LayerNorm over the last dim, by hand, without keepdim
def layer_norm_broken(x):
    mean = x.mean(dim=-1)
    var = x.var(dim=-1, unbiased=False)
    return (x - mean) / torch.sqrt(var + 1e-5)


bug_layer_norm = FunctionExercise(
    "bug_layer_norm", "Repair my_layer_norm(x) so that it equals nn.LayerNorm(x.shape[-1]) on any 2-D x.",
    lambda: [Case("a 4 x 4 input", (_seeded(4, 4),)), Case("a 3 x 5 input", (_seeded(3, 5, seed=1),)),
             Case("a 2 x 6 input whose row 1 barely varies", (_seeded(2, 6, seed=2) * torch.tensor([[1.0], [1e-3]]),))],
    lambda x: F.layer_norm(x, x.shape[-1:]),
    {"original": (layer_norm_broken, "still the original bug: on the 4 x 4 input it runs but disagrees with "
                                      "nn.LayerNorm, and on the 3 x 5 input it raises"),
     "half_keepdim": (lambda x: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False) + EPS),
                      "closer: on the 3 x 5 input it still raises, and on the 4 x 4 input each row is divided by "
                      "the spread of other rows"),
     "unbiased": (lambda x: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + EPS),
                  "now it runs everywhere, but each row of its output has variance (n - 1) / n, a little under 1"),
     "columns": (lambda x: (x - x.mean(0, keepdim=True)) / torch.sqrt(x.var(0, unbiased=False, keepdim=True) + EPS),
                 "now it runs everywhere, but each column (dim 0) of its output has mean 0, and its rows do not"),
     "no_eps": (lambda x: (x - x.mean(-1, keepdim=True)) / x.var(-1, unbiased=False, keepdim=True).sqrt(),
                "now it runs everywhere, but on the row that barely varies your output keeps its full spread, where "
                "nn.LayerNorm's is far narrower (a constant row would give you nan)"),
     "eps_outside": (lambda x: (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True).sqrt() + EPS),
                     "now it runs everywhere, but on the row that barely varies your output's spread differs from "
                     "nn.LayerNorm's: look at how a tiny variance goes through your formula")})


# 01: BatchNorm1d in training, by hand, with eps outside the square root
def bn_eps_broken(x):
    mean = x.mean(dim=0)
    var = x.var(dim=0, unbiased=False)
    return (x - mean) / (torch.sqrt(var) + 1e-5)


bug_batch_norm = FunctionExercise(
    "bug_batch_norm", "Repair my_batch_norm(x) so that it equals nn.BatchNorm1d(C) in training on (N, C).",
    lambda: [Case("a batch whose feature 2 barely varies", (quiet_data((6, 3), seed=11),)),
             Case("a random (8, 3) batch", (_seeded(8, 3, seed=12),))],
    lambda x: F.batch_norm(x, None, None, training=True),
    {"original": (bn_eps_broken, "still the original bug: the features that vary match nn.BatchNorm1d, the "
                                  "feature that barely varies does not; look at what happens when var is tiny"),
     "unbiased": (lambda x: (x - x.mean(0)) / torch.sqrt(x.var(0) + EPS),
                  "now every feature is a little off: each column's output variance is (n - 1) / n, under 1"),
     "no_eps": (lambda x: (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False)),
                "now the feature that barely varies comes out with variance 1, where nn.BatchNorm1d's is far below "
                "1 (a constant feature would give nan)")})


# 02: BatchNorm1d on (N, C, L), one channel at a time, with the unbiased variance
def channel_loop_broken(x):
    out = torch.empty_like(x)
    for c in range(x.shape[1]):
        values = x[:, c, :]
        out[:, c, :] = (values - values.mean()) / torch.sqrt(values.var() + 1e-5)
    return out


bug_channel_loop = FunctionExercise(
    "bug_channel_loop", "Repair my_batch_norm_1d(x) so that it equals nn.BatchNorm1d(C) in training on (N, C, L).",
    lambda: [Case("a (2, 3, 4) batch", (_seeded(2, 3, 4, seed=21),)),
             Case("a (3, 2, 5) batch", (_seeded(3, 2, 5, seed=22),)),
             Case("a (2, 3, 4) batch whose channel 2 barely varies", (quiet_data((2, 3, 4), seed=23),))],
    lambda x: F.batch_norm(x, None, None, training=True),
    {"original": (channel_loop_broken, "still the original bug: every output is close to nn.BatchNorm1d's but a "
                                        "few percent too small, so each channel's output variance is below 1"),
     "per_sample": (lambda x: F.instance_norm(x), "now every (sample, channel) row of the output has mean 0 on "
                                                  "its own: one group per sample and channel"),
     "no_eps": (lambda x: (x - x.mean((0, 2), keepdim=True)) / x.var((0, 2), unbiased=False, keepdim=True).sqrt(),
                "now the channel that barely varies comes out with variance 1, where nn.BatchNorm1d's is far below "
                "1 (a constant channel would give nan)")})


# 04: a one-sided comparison
def compare_broken(a, b):
    return bool((a - b < 1e-5).all())


def _pairs() -> list[Case]:
    y = _seeded(3, 4, seed=41)
    one_off = y.clone()
    one_off[1, 2] += 5
    z = y.double()  # float64: a difference of 5e-6 stays 5e-6
    one_small = z.clone()
    one_small[0, 1] += 1e-4
    signs = torch.tensor([1.0, -1.0], dtype=torch.float64).repeat(6).reshape(3, 4)
    return [Case("two equal tensors", (y, y.clone())), Case("b = a - 5", (y, y - 5)), Case("b = a + 5", (y, y + 5)),
            Case("b = a + 1e-7", (y, y + 1e-7)), Case("b = a with one element + 5", (y, one_off)),
            Case("b = a - 5e-6 (float64)", (z, z - 5e-6)), Case("b = a + 1e-4 (float64)", (z, z + 1e-4)),
            Case("b = a with one element + 1e-4 (float64)", (z, one_small)),
            Case("b = a + 5 and - 5 in turn (float64)", (z, z + 5 * signs)),
            Case("b = a + 1e-3, a about 1000 (float64)", (z + 1000, z + 1000 + 1e-3))]


bug_comparison = FunctionExercise(
    "bug_comparison", "Repair close(a, b): True exactly when every element of a and b differs by at most 1e-5.",
    _pairs, lambda a, b: bool(((a - b).abs() <= 1e-5).all()),
    {"original": (compare_broken, "still the original bug: it calls a and b equal when b = a + 5"),
     "swapped": (lambda a, b: bool((b - a < 1e-5).all()), "still one-sided: now it calls them equal when b = a - 5"),
     "any": (lambda a, b: bool(((a - b).abs() <= 1e-5).any()),
             "now it calls a and b equal when only one of their elements differs, by 5")})


# 05: predictions in batches of 2 without model.eval()
@lru_cache(maxsize=1)
def _model_and_data() -> tuple[nn.Module, torch.Tensor]:
    from normlab.lessons.running import toy_bn_classifier

    model, x, _ = toy_bn_classifier(seed=0)
    return model, x[:20]


def predict_broken(model, x):
    with torch.no_grad():
        return torch.cat([model(xb) for xb in x.split(2)])


def _predict_harness(fn, args):
    """Call fn on a copy of the trained model in train mode (as a training loop leaves it); return what it
    predicts and the model's running statistics afterwards."""
    model = copy.deepcopy(_model_and_data()[0]).train()
    out = fn(model, *args)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"predict must return the predictions as a tensor, not a {type(out).__name__}")
    stats = torch.cat([b.reshape(-1).float() for name, b in model.named_buffers() if name.endswith(("mean", "var"))])
    return out.detach(), stats


bug_predict = FunctionExercise(
    "bug_predict", "Repair predict(model, x): the trained model's predictions for x, computed in batches of 2, "
    "that must not depend on the batching and must leave the model's running statistics as they are.",
    lambda: [Case("20 test points", (_model_and_data()[1],))],
    lambda model, x: predict_broken(model.eval(), x), {
        "original": (predict_broken, "still the original bug: each prediction depends on the other sample in its "
                                      "batch of 2, and the model's running statistics moved")},
    harness=_predict_harness, parts=("the predictions", "the running statistics"), atol=1e-5)


# 06: BatchNorm2d on a channels-last batch: in with transpose(1, 3), back with the inverse of permute(0, 3, 1, 2)
def nhwc_broken(x, bn):
    y = bn(x.transpose(1, 3))
    return y.permute(0, 2, 3, 1)


bug_nhwc = FunctionExercise(
    "bug_nhwc", "Repair bn_channels_last(x, bn): BatchNorm2d's output for a channels-last x of shape (N, H, W, C), "
    "returned channels last too.",
    lambda: [Case("a (2, 4, 4, 3) batch of square images", (_seeded(2, 4, 4, 3, seed=61),))],
    lambda x, bn: bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1), {
        "original": (nhwc_broken, "still the original bug: it runs, keeps the shape and each channel's statistics "
                                   "are right, yet at most pixels its output differs from BatchNorm2d's"),
        "reshape": (lambda x, bn: bn(x.reshape(x.shape[0], x.shape[3], x.shape[1], x.shape[2])).reshape(x.shape),
                    "it runs and keeps the shape, but each channel's statistics mix values of different channels "
                    "and pixels"),
        "not_back": (lambda x, bn: bn(x.permute(0, 3, 1, 2)), "right values, but the result has the channels in "
                                                              "dim 1: shape (N, C, H, W)")},
    harness=lambda fn, args: fn(*args, nn.BatchNorm2d(args[0].shape[-1])).detach(), atol=1e-5)
