"""Exercises of notebook 12: fold a BatchNorm by hand, find the bug in a fold, and which half type overflows.

`fold_next_by_hand(fn)` calls fn(weight, bias, gamma, beta, mean, var, eps) -> (W', b') for a BatchNorm1d followed
by a Linear, in eval mode. `bug_fold(fn)` calls fn(conv, bn) -> folded Conv2d and compares the folded layer's output
with bn(conv(x)) in eval mode.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from normlab.check.exercise import prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.deploy import fold_batchnorm

__all__ = ["fold_next_by_hand", "bug_fold", "predict_overflow", "fold_slips", "in_place", "ignores_bias", "fold_next"]


def _linear_cases() -> list[Case]:
    """A BatchNorm1d(n_in) then a Linear(n_in, n_out): square weights (a wrong side shows as wrong values) and not."""
    out = []
    for k, (n_out, n_in, eps) in enumerate(((4, 4, 1e-5), (3, 3, 1e-5), (2, 5, 0.5))):
        gen = torch.Generator().manual_seed(120 + k)
        w, b = torch.randn(n_out, n_in, generator=gen, dtype=torch.float64), torch.randn(n_out, generator=gen,
                                                                                       dtype=torch.float64)
        gamma, beta, mean, var = (torch.randn(n_in, generator=gen, dtype=torch.float64) for _ in range(4))
        out.append(Case(f"a BatchNorm1d({n_in}) then a Linear({n_in}, {n_out}) with eps={eps}",
                        (w, b, gamma + 1.5, beta, mean, var.abs() + 0.1, eps)))
    return out


def fold_next(w, b, gamma, beta, mean, var, eps, *, use_mean=True, use_gamma=True, use_eps=True,  # noqa: ANN001
               by="columns", weight_in_bias=True):
    scale = (gamma if use_gamma else 1.0) / torch.sqrt(var + (eps if use_eps else 0.0))
    shift = beta - (mean if use_mean else 0.0) * scale                   # bn(x) = x * scale + shift
    folded = w * (scale[None, :] if by == "columns" else scale[:, None])
    return folded, b + (w @ shift if weight_in_bias else shift)


def _fold_after(w, b, gamma, beta, mean, var, eps):  # noqa: ANN001, ANN202 - the formula for a BatchNorm *after*
    scale = gamma / torch.sqrt(var + eps)
    return w * scale[:, None], (b - mean) * scale + beta


def fold_slips() -> dict[str, tuple]:
    """Wrong folds of a BatchNorm into the Linear after it, and what each result shows (a symptom, not the fix)."""
    return {
        "after_formula": (_fold_after, "your W' and b' fold a BatchNorm that sits after the Linear; in this model "
                                       "it sits before it: write linear(bn(x)) out and follow x through it"),
        "by_rows": (lambda *a: fold_next(*a, by="rows"), "your W' multiplies each of W's rows (one per output) by a "
                                                          "factor: which dim of W meets bn's output?"),
        "bias_without_weight": (lambda *a: fold_next(*a, weight_in_bias=False),
                                "W' is right and b' is not: follow the constant part of bn(x) through the Linear"),
        "no_mean": (lambda *a: fold_next(*a, use_mean=False), "your b' stays the same whatever the running mean "
                                                               "is"),
        "no_gamma": (lambda *a: fold_next(*a, use_gamma=False), "your W' stays the same whatever the BatchNorm's "
                                                                 "weight is"),
        "no_eps": (lambda *a: fold_next(*a, use_eps=False), "right when eps is tiny, off on the case with eps=0.5"),
    }


fold_next_by_hand = FunctionExercise(
    "fold_next_by_hand", "Write fold_next(weight, bias, gamma, beta, mean, var, eps) -> (W', b') for a BatchNorm1d "
                         "followed by a Linear, both in eval mode.", _linear_cases, fold_next, fold_slips(),
    parts=("W'", "b'"), atol=1e-9)


def _conv_cases() -> list[Case]:
    out = []
    for k, (c_in, c_out, groups, bias, padding, stride) in enumerate(((3, 4, 1, True, 1, 2), (4, 6, 2, True, 0, 1),
                                                                       (2, 4, 1, False, 1, 1))):
        torch.manual_seed(130 + k)
        conv = nn.Conv2d(c_in, c_out, 3, stride, padding, groups=groups, bias=bias, dtype=torch.float64)
        bn = nn.BatchNorm2d(c_out, dtype=torch.float64)
        with torch.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
        x = torch.randn(2, c_in, 5, 5, dtype=torch.float64)
        label = f"Conv2d({c_in}, {c_out}, 3, stride={stride}, padding={padding}, groups={groups}, bias={bias})"
        out.append(Case(label, (conv, bn.eval(), x)))
    return out


def _harness(fn, args):  # noqa: ANN001, ANN202 - calls the learner's fold on copies, then the folded layer
    """The folded layer's output, and how much the conv passed in changed its own output by being folded."""
    conv, bn, x = copy.deepcopy(args[0]), copy.deepcopy(args[1]), args[2]
    with torch.no_grad():
        before = conv(x)
    folded = fn(conv, bn)
    if folded is None:
        return None
    if not isinstance(folded, nn.Module):
        raise TypeError(f"my_fold returned a {type(folded).__name__}, not a layer")
    with torch.no_grad():
        return folded(x), conv(x) - before


def in_place(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    folded = conv
    with torch.no_grad():
        folded.weight.mul_(scale.view(-1, 1, 1, 1))
        folded.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)
    return folded


def ignores_bias(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    without = copy.deepcopy(conv)
    without.bias = None
    return fold_batchnorm(without, bn)


bug_fold = FunctionExercise(
    "bug_fold", "Repair my_fold(conv, bn) -> a new Conv2d equal to bn(conv(x)) in eval mode.", _conv_cases,
    fold_batchnorm, {
        "original": (in_place, "still the original bug: the folded layer computes bn(conv(x)), but after the fold "
                                "the conv you passed in computes something else: a model that still holds it has "
                                "changed"),
        "ignores_bias": (ignores_bias, "on some of the convolutions the folded layer's output is off from "
                                        "bn(conv(x)) by a constant per output channel")},
    parts=("the folded layer's output", "the change of the conv passed in"), atol=1e-9, harness=_harness)


_ESTIMATE = ("not what happens: estimate sum(x²), even a single x², and compare it with each type's largest value "
             "in the table above")

predict_overflow = prediction(
    "predict_overflow",
    "x has 1024 features of size about 300 (x = 300 · randn). Computed in the input's own type, in which does "
    "sum(x²) overflow: 'float16', 'bfloat16', 'both' or 'neither'?",
    "float16", dict.fromkeys(("bfloat16", "both", "neither"), _ESTIMATE))
