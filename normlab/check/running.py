"""Exercises of notebook 05 (eval mode and running statistics): two updates, momentum conventions, eval output."""

from __future__ import annotations

from itertools import product

import torch

from normlab.check.exercise import Exercise
from normlab.check.verdict import Outcome

__all__ = ["running_var_two_steps", "torch_momentum", "eval_output"]

_STEP_MISTAKES = {
    "one_step": "your result is one update of running_var0; the layer took a step for each of the two batches",
    "from_default": "your result is what a fresh layer would hold: its first update started from 1, not from "
                    "running_var0",
    "one_batch": "your result is one update with the 16 rows as a single batch; the layer saw two batches of 8, "
                 "one after the other",
}


def _update(running: torch.Tensor, x: torch.Tensor, old: float, correction: int) -> torch.Tensor:
    """One training step's update: `old` weighs the running value, the batch's variance (with `correction`) the rest."""
    return old * running + (1 - old) * x.var(0, correction=correction)


def _two_steps(x1: torch.Tensor, x2: torch.Tensor, running_var0: torch.Tensor,
               momentum: float = 0.1) -> tuple[list[Outcome], dict[str, str]]:
    """running_var after two training steps, right and with each slip (biased, d2l's momentum, one step, ...)."""
    x1, x2, r0 = x1.double(), x2.double(), running_var0.double()
    outcomes = []
    for correction, d2l in product((1, 0), (False, True)):
        slip = (momentum if d2l else 1 - momentum, correction)  # (the running value's weight, the correction)
        flags = tuple(m for m, on in (("biased_running_var", correction == 0), ("d2l_momentum", d2l)) if on)
        outcomes += [Outcome(_update(_update(r0, x1, *slip), x2, *slip), flags),
                     Outcome(_update(r0, x2, *slip), (*flags, "one_step")),
                     Outcome(_update(r0, x1, *slip), (*flags, "one_step")),
                     Outcome(_update(_update(torch.ones_like(r0), x1, *slip), x2, *slip), (*flags, "from_default")),
                     Outcome(_update(r0, torch.cat([x1, x2]), *slip), (*flags, "one_batch")),
                     Outcome(x2.var(0, correction=correction), (*flags, "no_update"))]
    return outcomes, _STEP_MISTAKES


def _batch(seed: int) -> torch.Tensor:
    return torch.randn(8, 3, generator=torch.Generator().manual_seed(seed)) * torch.tensor([1.0, 3.0, 0.5]) + 2


running_var_two_steps = Exercise(
    "running_var_two_steps",
    "A nn.BatchNorm1d(3) (momentum = 0.1) holds running_var = running_var0. In training it sees the batch x1, then "
    "the batch x2 (each (N, C) = (8, 3)). Compute its running_var after the two steps, by hand (shape (3,)).",
    {"x1": _batch(50), "x2": _batch(51), "running_var0": torch.tensor([2.0, 0.5, 1.0])},
    _two_steps)

_MOMENTUM_MISTAKES = {
    "d2l_momentum": "with that momentum torch's layer would move its running_mean most of the way to each new batch "
                    "mean in one step",
    "percent": "that is a percentage; momentum is a fraction in [0, 1]",
}

torch_momentum = Exercise(
    "torch_momentum",
    "d2l-zh's from-scratch BatchNorm updates moving_mean = 0.9 * moving_mean + 0.1 * mean. Which momentum makes "
    "nn.BatchNorm1d update its running_mean the same way? Answer with a float.",
    {"d2l_momentum": 0.9},
    lambda d2l_momentum: ([Outcome(1 - d2l_momentum), Outcome(d2l_momentum, ("d2l_momentum",)),
                           Outcome(100 * (1 - d2l_momentum), ("percent",))], _MOMENTUM_MISTAKES))

_EVAL_MISTAKES = {
    "batch_stats": "each column of your output has mean bias and spread |weight|: it was normalized with the "
                   "statistics of these 4 samples themselves, as in training mode",
    "variance": "your output is off most where running_var is far from 1: channel 1 (running_var 0.25) comes out "
                "twice as spread as the layer's",
    "no_eps": "nearly right, but channel 2, whose running_var is tiny, comes out more spread than the layer's",
    "eps_outside": "nearly right, but channel 2, whose running_var is tiny, differs from the layer's: look at how a "
                   "tiny variance goes through your formula",
    "no_affine": "your output ignores weight and bias: it is what the layer gives with weight 1 and bias 0",
}


def _eval_outcomes(x: torch.Tensor, running_mean: torch.Tensor, running_var: torch.Tensor, weight: torch.Tensor,
                   bias: torch.Tensor) -> tuple[list[Outcome], dict[str, str]]:
    """Eval-mode BatchNorm1d on (N, C): right, with batch statistics, without eps, dividing by var, no affine."""
    x, rm, rv, w, b = (t.double() for t in (x, running_mean, running_var, weight, bias))
    eps = 1e-5
    batch_var = x.var(0, correction=0)
    out = [Outcome((x - rm) / torch.sqrt(rv + eps) * w + b),
           Outcome((x - x.mean(0)) / torch.sqrt(batch_var + eps) * w + b, ("batch_stats",)),
           Outcome((x - rm) / (rv + eps) * w + b, ("variance",)),
           Outcome((x - rm) / torch.sqrt(rv) * w + b, ("no_eps",)),
           Outcome((x - rm) / (torch.sqrt(rv) + eps) * w + b, ("eps_outside",)),
           Outcome((x - rm) / torch.sqrt(rv + eps), ("no_affine",))]
    return out, _EVAL_MISTAKES


eval_output = Exercise(
    "eval_output",
    "A nn.BatchNorm1d(3) in eval mode holds running_mean, running_var, weight and bias (read them as "
    "e.running_mean, e.running_var, e.weight, e.bias). "
    "Compute by hand what it returns for e.x (shape (4, 3)); eps = 1e-5.",
    {"x": torch.randn(4, 3, generator=torch.Generator().manual_seed(51)) * 2,
     "running_mean": torch.tensor([1.0, 0.0, -2.0]), "running_var": torch.tensor([4.0, 0.25, 1e-4]),
     "weight": torch.tensor([1.5, 1.0, 0.5]), "bias": torch.tensor([0.0, 1.0, -1.0])},
    _eval_outcomes)
