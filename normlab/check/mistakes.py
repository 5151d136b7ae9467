"""The typical mistakes of normalizing by hand, and the values they produce, for the checkers to recognise.

`normalization_outcomes` computes (x - mean) / sqrt(var + eps) over every choice of dims, with and without each
slip (unbiased variance, dividing by the variance, no eps, eps outside the square root). Each message describes the
learner's result (its groups, its spread, its shape) and never states the expected value, dims or correction.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations, product

import torch

from normlab.check.verdict import Outcome
from normlab.layouts import layout_of, parse_layout

__all__ = ["MISTAKES", "dims_mistake", "right", "normalization_outcomes"]

MISTAKES = {
    "unbiased": "each group of your output is squeezed by a factor sqrt((n - 1) / n), a little under 1: something "
                "divides by n - 1",
    "variance": "your output's spread depends on the input's: a group that varies a lot comes out squeezed, one "
                "that barely varies comes out stretched",
    "no_eps": "nearly right, but where a channel barely varies your output keeps its full spread, and the layer's "
              "is far narrower (a channel with zero variance would give you nan)",
    "eps_outside": "nearly right, but where a channel barely varies your output's spread differs from the layer's: "
                   "look at how a tiny variance goes through your formula",
    "d2l_momentum": "your update weighs the old running value by the momentum number and the batch statistic by "
                    "1 - momentum; read again what torch's momentum multiplies",
    "biased_running_var": "your running_var moved toward each batch's biased variance (divided by n), the one the "
                          "output is normalized with",
    "no_update": "your result is the batch statistic itself: the running value the layer held before the step did "
                 "not enter",
    "from_zero": "your result is what the update gives when the layer held 0 before the step",
    "bare_int": "you answered with an int; a shape is a tuple",
}


def dims_mistake(dims: tuple[int, ...], layer: str, layout: str) -> str:
    """'your statistics come from dims (0,) = N: one mean per (C, L); which elements does BatchNorm1d group?'."""
    letters = parse_layout(layout)
    kept = [letters[d] for d in range(len(letters)) if d not in dims]
    per = ("per (" + ", ".join(kept) + ")" if len(kept) > 1 else f"per {kept[0]}") if kept else "for the whole tensor"
    named = ", ".join(letters[d] for d in dims)
    return (f"your statistics come from dims {dims} = {named}: one mean {per}; which elements does {layer} on "
            f"{layout} put in one group?")


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
            messages[f"dims{d}"] = dims_mistake(d, layer, layout)
        outcomes.append(Outcome(y, ((f"dims{d}",) if d != right_dims else ()) + slip))
    return outcomes, messages
