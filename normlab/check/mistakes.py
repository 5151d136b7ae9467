"""The typical mistakes of normalizing by hand, and the values they produce, for the checkers to recognise.

`normalization_outcomes` computes (x - mean) / sqrt(var + eps) over every choice of dims, with and without each
slip (unbiased variance, dividing by the variance, no eps, eps outside the square root); `running_outcomes` one
running-statistic update, right and wrong; `mean_outcomes` the per-channel mean. Each message names the mistake
in words and never states the expected value.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations, product

import torch

from normlab.check.verdict import Outcome
from normlab.layouts import layout_of, parse_layout

__all__ = ["MISTAKES", "dims_mistake", "right", "normalization_outcomes", "running_outcomes", "mean_outcomes"]

MISTAKES = {
    "unbiased": "you used the unbiased variance (x.var() divides by n - 1); normalization uses the biased one, "
                "which divides by n",
    "variance": "you divided by the variance; divide by the standard deviation, the square root of var + eps",
    "no_eps": "you left out eps, which goes inside the square root: sqrt(var + eps)",
    "eps_outside": "you added eps outside the square root, sqrt(var) + eps; it belongs inside: sqrt(var + eps)",
    "d2l_momentum": "you used the d2l/Keras convention (momentum = weight of the OLD value) with torch's number; "
                    "torch's momentum is the weight of the NEW batch statistic",
    "biased_running_var": "the running variance is updated with the UNBIASED batch variance (n / (n - 1) times "
                          "the biased one), even though the output uses the biased one",
    "no_update": "your result is the batch statistic itself: the update starts from the running value the layer "
                 "holds before the step and moves it only a momentum-sized part of the way",
    "from_zero": "you started the update from 0; start from the running value the layer holds before this step",
    "bare_int": "a shape is a tuple, even when it has one dim: write it with a trailing comma",
    "keepdim": "right values, but the running statistic has one entry per channel, with no size-1 dims kept",
}


def dims_mistake(dims: tuple[int, ...], right: tuple[int, ...], layer: str, layout: str) -> str:
    """'you reduced over dims (0,) = N only: one mean per (C, L), but BatchNorm1d keeps one per C'."""
    letters = parse_layout(layout)

    def per(reduced: tuple[int, ...]) -> str:
        kept = [letters[d] for d in range(len(letters)) if d not in reduced]
        return ("per (" + ", ".join(kept) + ")" if len(kept) > 1 else f"per {kept[0]}") if kept else "in all"

    named = ", ".join(letters[d] for d in dims)
    return (f"you reduced over dims {dims} = {named}: that gives one mean {per(dims)}, but {layer} on "
            f"{layout} keeps one mean {per(right)}")


def right(outcomes: list[Outcome]) -> torch.Tensor:
    """The value of the outcome without mistakes."""
    return next(o.value for o in outcomes if not o.mistakes)


def normalization_outcomes(x: torch.Tensor, dims: Iterable[int], eps: float, layer: str,
                           weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                           layout: str | None = None) -> tuple[list[Outcome], dict[str, str]]:
    """Right and wrong versions of (x - mean) / sqrt(var + eps) over dims (then * weight + bias, per channel)."""
    right_dims, x, layout = tuple(sorted(dims)), x.double(), layout or layout_of(x.dim())
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    outcomes, messages = [], {}
    subsets = [c for k in range(1, x.dim() + 1) for c in combinations(range(x.dim()), k)]
    slips = ((), ("unbiased",), ("variance",), ("no_eps",), ("eps_outside",), ("unbiased", "variance"),
             ("unbiased", "no_eps"), ("unbiased", "eps_outside"), ("unbiased", "variance", "no_eps"))
    for d, slip in product(subsets, slips):
        mean = x.mean(dim=d, keepdim=True)
        var = x.var(dim=d, keepdim=True, correction=int("unbiased" in slip))
        if "variance" in slip:
            y = (x - mean) / (var + (0.0 if "no_eps" in slip else eps))
        elif "eps_outside" in slip:
            y = (x - mean) / (var.sqrt() + eps)
        else:
            y = (x - mean) / (var + (0.0 if "no_eps" in slip else eps)).sqrt()
        if weight is not None:
            y = y * weight.double().reshape(shape)
        if bias is not None:
            y = y + bias.double().reshape(shape)
        if d != right_dims:
            messages[f"dims{d}"] = dims_mistake(d, right_dims, layer, layout)
        outcomes.append(Outcome(y, ((f"dims{d}",) if d != right_dims else ()) + slip))
    return outcomes, messages


def running_outcomes(running: torch.Tensor, batch_stat: torch.Tensor, momentum: float, n: int | None = None,
                     ) -> tuple[list[Outcome], dict[str, str]]:
    """Right and wrong one-step updates of a running statistic (n given: batch_stat is a biased variance)."""
    running, batch_stat = running.double(), batch_stat.double()
    variants = [("", 1.0)] if n is None else [("", n / (n - 1)), ("biased_running_var", 1.0)]
    outcomes = []
    for (flag, factor), d2l in product(variants, (False, True)):
        new = batch_stat * factor
        value = momentum * running + (1 - momentum) * new if d2l else (1 - momentum) * running + momentum * new
        zero = (1 - momentum) * new if d2l else momentum * new  # the update started from 0
        named = (flag, "d2l_momentum" if d2l else "")
        outcomes.append(Outcome(value, tuple(m for m in named if m)))
        outcomes.append(Outcome(zero, tuple(m for m in (*named, "from_zero") if m)))
        if not d2l:
            outcomes.append(Outcome(new, tuple(m for m in (flag, "no_update") if m)))
    return outcomes, {}


def mean_outcomes(x: torch.Tensor, dims: Iterable[int], layer: str) -> tuple[list[Outcome], dict[str, str]]:
    """The per-channel mean over dims, and the means over every other choice of dims (or with kept dims)."""
    right_dims, x, layout = tuple(sorted(dims)), x.double(), layout_of(x.dim())
    outcomes, messages = [], {}
    for k in range(1, x.dim() + 1):
        for d in combinations(range(x.dim()), k):
            wrong = () if d == right_dims else (f"dims{d}",)
            messages[f"dims{d}"] = dims_mistake(d, right_dims, layer, layout)
            outcomes.append(Outcome(x.mean(dim=d), wrong))
            outcomes.append(Outcome(x.mean(dim=d, keepdim=True), (*wrong, "keepdim")))
    return outcomes, messages
