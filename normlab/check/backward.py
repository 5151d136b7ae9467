"""Exercises of notebook 08: derive BatchNorm's backward pass, predict it under a shift, and repair a broken one.

`batch_norm_backward(fn)` calls fn(dout, x, gamma, eps) -> (dx, dgamma, dbeta) for x of shape (N, D) on several
shapes and dtypes and compares with the closed form and with the typical slips: a path through the mean or the
variance left out, the unbiased variance, dgamma taken against x instead of x_hat, the wrong reduction dim, the
wrong shapes; each verdict names the path or the symptom, not the missing term. Anything else is reported part by
part: which of dx, dgamma, dbeta is wrong, and by how much.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from normlab.check.exercise import prediction
from normlab.check.functions import Case, FunctionExercise
from normlab.lessons.backward import closed_form

__all__ = ["batch_norm_backward", "bug_backward", "predict_shifted_input", "slips", "broken"]

EPS = 1e-5
PARTS = ("dx", "dgamma", "dbeta")


def _cases() -> list[Case]:
    """(dout, x, gamma, eps) on shapes whose two dims differ (a wrong reduction dim shows), float64 and float32."""
    out = []
    for k, (shape, dtype) in enumerate((((6, 4), torch.float64), ((5, 3), torch.float32), ((16, 2), torch.float64))):
        gen = torch.Generator().manual_seed(80 + k)
        x = (torch.randn(shape, generator=gen, dtype=torch.float64) * 2 + 1).to(dtype)
        dout = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)
        gamma = (torch.rand(shape[1], generator=gen, dtype=torch.float64) + 0.5).to(dtype)
        out.append(Case(f"x of shape {shape} ({str(dtype).removeprefix('torch.')})", (dout, x, gamma, EPS)))
    gen = torch.Generator().manual_seed(83)
    x = torch.randn(8, 3, generator=gen, dtype=torch.float64) * torch.tensor([2.0, 1e-3, 1.0], dtype=torch.float64)
    dout, gamma = torch.randn(8, 3, generator=gen, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out.append(Case("x of shape (8, 3) whose feature 1 barely varies (float64)", (dout, x, gamma, EPS)))
    return out


def slips(dim: int) -> dict[str, Callable]:
    """Wrong backward passes a learner writes, for normalization over `dim` of an (N, D) input."""
    other = 1 - dim

    def parts(dout, x, gamma, eps, *, var_dim=dim, unbiased=False, mean_path=True, var_path=True, against_x=False,
              eps_outside=False):
        mean = x.mean(var_dim, keepdim=True)
        var = x.var(var_dim, unbiased=unbiased, keepdim=True)
        rstd = 1 / (var.sqrt() + eps) if eps_outside else 1 / torch.sqrt(var + eps)
        x_hat = (x - mean) * rstd
        g = dout * gamma
        dx = g - (g.mean(var_dim, keepdim=True) if mean_path else 0)
        if var_path:
            dx = dx - x_hat * (g * x_hat).mean(var_dim, keepdim=True)
        dgamma = (dout * (x if against_x else x_hat)).sum(0)
        return rstd * dx, dgamma, dout.sum(0)

    return {
        "no_mean_path": lambda *a: parts(*a, mean_path=False),
        "no_var_path": lambda *a: parts(*a, var_path=False),
        "direct_only": lambda *a: parts(*a, mean_path=False, var_path=False),
        "unbiased": lambda *a: parts(*a, unbiased=True),
        "dgamma_x": lambda *a: parts(*a, against_x=True),
        "wrong_dim": lambda *a: parts(*a, var_dim=other),
        "keepdim": lambda *a: tuple(t if k == 0 else t.unsqueeze(0) for k, t in enumerate(parts(*a))),
        "eps_outside": lambda *a: parts(*a, eps_outside=True),
    }


def _messages(layer: str, dim: int) -> dict[str, str]:
    """What each slip does to the result, in words: the path or symptom, never the term that is missing."""
    group, across = ("each feature's N samples", "each sample's D features") if dim == 0 else \
        ("each sample's D features", "each feature's N samples")
    return {
        "no_mean_path": f"your dx misses the path through the mean: moving one x also moves the mean, and your dx "
                        f"does not see it (it does not sum to zero over {group}, yet shifting them all by the same "
                        f"constant changes no output)",
        "no_var_path": "your dx misses the path through the variance: moving one x also moves the variance, which "
                       "rescales every x_hat of its group, and your dx does not see it (it has a component along "
                       "x_hat, yet stretching a group about its mean changes no output)",
        "direct_only": "your dx has only the direct path, x -> centered -> x_hat: both the path through the mean "
                       "and the path through the variance are missing",
        "unbiased": f"your dgamma is off by the same factor in every feature, a factor set by the size of the "
                    f"group alone: the x_hat of your backward is not the one {layer}'s forward computed",
        "dgamma_x": "dx and dbeta are right; your dgamma changes when a constant is added to x, but the layer's "
                    "output, and so the loss, does not",
        "wrong_dim": f"your dx sums to zero over {across}: your means run along that dim; which values share a "
                     f"mean in {layer}'s forward?",
        "keepdim": "your dgamma and dbeta have an extra dim: compare their shapes with gamma's",
        "eps_outside": "your dx is right wherever the values vary, and far off in the feature whose values barely "
                       "vary: look at how eps enters your 1 / std",
    }


def _exercise(name: str, dim: int, layer: str) -> FunctionExercise:
    table = slips(dim)
    messages = _messages(layer, dim)
    return FunctionExercise(
        name, f"Write {name}(dout, x, gamma, eps) -> (dx, dgamma, dbeta) for {layer} on x of shape (N, D), "
              f"gamma of shape (D,).",
        _cases, lambda dout, x, gamma, eps: closed_form(dout, x, gamma, (dim,), eps),
        {key: (table[key], messages[key]) for key in messages}, parts=PARTS, atol=1e-5, rtol=1e-4)


batch_norm_backward = _exercise("batch_norm_backward", 0, "BatchNorm1d")


def broken(dout, x, gamma, eps):
    mean = x.mean(0, keepdim=True)
    rstd = 1 / torch.sqrt(x.var(0, unbiased=False, keepdim=True) + eps)
    x_hat = (x - mean) * rstd
    g = dout * gamma
    dx = rstd * (g - g.mean(0, keepdim=True) - x_hat * (g * x).mean(0, keepdim=True))
    return dx, (dout * x_hat).sum(0), dout.sum(0)


bug_backward = FunctionExercise(
    "bug_backward", "Repair my_backward(dout, x, gamma, eps): BatchNorm1d's backward on (N, D).",
    _cases, lambda dout, x, gamma, eps: closed_form(dout, x, gamma, (0,), eps),
    {"original": (broken, "still the original bug: dgamma and dbeta are right and dx sums to zero over each "
                           "feature, yet dx is not the gradient"),
     **{key: (fn, _messages("BatchNorm1d", 0)[key]) for key, fn in slips(0).items()}},
    parts=PARTS, atol=1e-5, rtol=1e-4)


predict_shifted_input = prediction(
    "predict_shifted_input",
    "Every input of a BatchNorm1d layer in training is shifted by the same constant, x + 5, and the same dout comes "
    "back. Is dx 'the same', 'shifted' or 'scaled'?",
    "the same", {"shifted": "dx is a gradient, not an input: it moves with x only if what it is made of moves; "
                            "go through the quantities in the closed form one by one under x + 5",
                 "scaled": "which quantity in the closed form sets the size of dx, and does adding 5 to every input "
                           "move it?"},
    also_right=("same", "unchanged"))
