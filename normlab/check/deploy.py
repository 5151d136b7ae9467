"""Exercises of notebook 12: fold a BatchNorm by hand, find the bug in a fold, and which half type overflows.

`fold_by_hand(fn)` calls fn(weight, bias, gamma, beta, mean, var, eps) -> (W', b') for a Linear followed by a
BatchNorm1d in eval mode. `bug_fold(fn)` calls fn(conv, bn) -> folded Conv2d and compares the folded layer's output
with bn(conv(x)) in eval mode.
"""

from __future__ import annotations

import torch
from torch import nn

from normlab.check.core import prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.deploy import fold_batchnorm

__all__ = ["fold_by_hand", "bug_fold", "predict_overflow", "fold_slips"]


def _linear_cases() -> list[Case]:
    out = []
    for k, (n_out, n_in, eps) in enumerate(((4, 3, 1e-5), (3, 3, 1e-5), (2, 5, 0.5))):
        gen = torch.Generator().manual_seed(120 + k)
        w, b, gamma, beta, mean, var = (torch.randn(n_out, *(n_in,) * (i == 0), generator=gen, dtype=torch.float64)
                                        for i in range(6))
        out.append(Case(f"a Linear({n_in}, {n_out}) with eps={eps}", (w, b, gamma + 1.5, beta, mean,
                                                                     var.abs() + 0.1, eps)))
    return out


def _fold(w, b, gamma, beta, mean, var, eps, *, use_mean=True, use_gamma=True, use_eps=True, by="rows",  # noqa: ANN001
          divide_var=False):
    std = var if divide_var else torch.sqrt(var + (eps if use_eps else 0.0))
    scale = (gamma if use_gamma else 1.0) / std
    folded = w * (scale[:, None] if by == "rows" else scale[None, :])
    return folded, (b - (mean if use_mean else 0.0)) * scale + beta


def fold_slips() -> dict[str, tuple]:
    """Wrong folds and what each gets wrong."""
    return {
        "no_mean": (lambda *a: _fold(*a, use_mean=False), "the bias must subtract the running mean before "
                                                          "it is scaled"),
        "no_gamma": (lambda *a: _fold(*a, use_gamma=False), "the scale is gamma / std, not 1 / std"),
        "no_eps": (lambda *a: _fold(*a, use_eps=False), "std is sqrt(running_var + eps): eps is part of it"),
        "by_columns": (lambda *a: _fold(*a, by="columns"), "each output channel (a row of W) gets its own scale; "
                                                           "you scaled the columns (the inputs)"),
        "by_var": (lambda *a: _fold(*a, divide_var=True), "divide by the standard deviation, not the variance"),
    }


fold_by_hand = FunctionExercise(
    "fold_by_hand", "Write fold(weight, bias, gamma, beta, mean, var, eps) -> (W', b') for Linear then BatchNorm1d "
                    "in eval mode.", _linear_cases, _fold, fold_slips(), parts=("W'", "b'"), atol=1e-9)


def _conv_cases() -> list[Case]:
    out = []
    for k, (c_in, c_out, groups, bias) in enumerate(((3, 4, 1, True), (4, 6, 2, True), (2, 4, 1, False))):
        torch.manual_seed(130 + k)
        conv = nn.Conv2d(c_in, c_out, 3, groups=groups, bias=bias, dtype=torch.float64)
        bn = nn.BatchNorm2d(c_out, dtype=torch.float64)
        with torch.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
        x = torch.randn(2, c_in, 5, 5, dtype=torch.float64)
        label = f"Conv2d({c_in}, {c_out}, 3, groups={groups}, bias={bias})"
        out.append(Case(label, (conv, bn.eval(), x)))
    return out


def _harness(fn, args):  # noqa: ANN001, ANN202 - calls the learner's fold, then the folded layer
    conv, bn, x = args
    folded = fn(conv, bn)
    return folded(x).detach() if isinstance(folded, nn.Module) else folded


def _ignores_bias(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    without = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, groups=conv.groups, bias=False,
                        dtype=conv.weight.dtype)
    with torch.no_grad():
        without.weight.copy_(conv.weight)
    return fold_batchnorm(without, bn)


bug_fold = FunctionExercise(
    "bug_fold", "Repair my_fold(conv, bn) -> a Conv2d equal to bn(conv(x)) in eval mode.", _conv_cases,
    fold_batchnorm, {"original": (_ignores_bias, "still the original bug: the folded layer is right for a conv "
                                                 "without bias and off by a constant per channel otherwise")},
    atol=1e-9, harness=_harness)

predict_overflow = prediction(
    "predict_overflow",
    "x has 1024 features of size about 300 (x = 300 · randn). Computed in the input's own type, in which does "
    "sum(x²) overflow: 'float16', 'bfloat16', 'both' or 'neither'?",
    "float16", {"bfloat16": "bfloat16 has float32's range (up to about 3.4e38): it rounds coarsely but does not "
                            "overflow here",
                "both": "only one of them has a small range; bfloat16 keeps float32's exponent",
                "neither": "sum(x²) is about 1024 · 300² ≈ 9e7; compare it with each type's largest value"})
