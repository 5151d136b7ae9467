"""Exercises of notebook 09: InstanceNorm in eval mode, find the bug in a GroupNorm, pick the norm of a network.

`bug_group_norm(fn)` calls fn(x, groups, eps) on (N, C, H, W) inputs and compares with torch's group_norm, with the
original bug (groups made of every G-th channel: a view in the wrong order) and with the usual slips: statistics
over the channels only, over the positions only (InstanceNorm), over all channels (one group), over the batch too,
the unbiased variance, eps outside the square root. `design_norm(make_norm)` measures the layer make_norm builds
(normlab.lessons.design) and names the symptom of every property it lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from normlab.check.exercise import prediction
from normlab.check.functions import Case, FunctionExercise, is_function
from normlab.check.verdict import Verdict
from normlab.families import GROUPED_DIMS
from normlab.lessons.design import CHANNELS, CROP, FRAME, measure

__all__ = ["bug_group_norm", "predict_instance_eval", "design_norm", "NormDesign", "group_slips", "dims_only",
           "view_only", "broken"]


def _cases() -> list[Case]:
    """(x, groups, eps): groups strictly between 1 and C, so a wrong grouping shows; a large eps on one case."""
    out = []
    for k, (shape, groups, eps) in enumerate((((2, 6, 3, 4), 3, 1e-5), ((3, 8, 2, 2), 2, 1e-5),
                                              ((2, 4, 5, 3), 2, 0.5))):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(90 + k), dtype=torch.float64) * 2 + 1
        out.append(Case(f"x of shape {shape} with groups={groups}, eps={eps}", (x, groups, eps)))
    return out


def _grouped(x: torch.Tensor, groups: int, dims: tuple[int, ...], unbiased: bool = False, eps_outside: bool = False,
             eps: float = 1e-5) -> torch.Tensor:
    """Normalize the (N, G, C/G, H·W) view of x over dims."""
    n, c = x.shape[:2]
    view = x.reshape(n, groups, c // groups, -1)
    mean = view.mean(dims, keepdim=True)
    var = view.var(dims, unbiased=unbiased, keepdim=True)
    out = (view - mean) / (var.sqrt() + eps if eps_outside else torch.sqrt(var + eps))
    return out.reshape(x.shape)


def group_slips() -> dict[str, tuple[Callable, str]]:
    """GroupNorm written wrong, and what each mistake does to the output, in words."""
    return {
        "channels_only": (lambda x, g, eps: _grouped(x, g, (2,), eps=eps),
                          "your statistics change from position to position: each covers a group's channels at "
                          "one position only"),
        "positions_only": (lambda x, g, eps: F.instance_norm(x, eps=eps),
                           "every channel of your output has mean 0 and variance 1 on its own"),
        "one_group": (lambda x, g, eps: F.group_norm(x, 1, eps=eps),
                      "your output has one mean and one variance per sample, across all of its channels"),
        "with_batch": (lambda x, g, eps: _grouped(x, g, (0, 2, 3), eps=eps),
                       "your output for one sample changes when another sample of the batch changes"),
        "unbiased": (lambda x, g, eps: _grouped(x, g, GROUPED_DIMS, unbiased=True, eps=eps),
                     "the variance of your output per group is a little below 1: something divides by n - 1"),
        "eps_outside": (lambda x, g, eps: _grouped(x, g, GROUPED_DIMS, eps_outside=True, eps=eps),
                        "your output is right for a tiny eps but not for eps = 0.5: look at how eps enters"),
    }


def broken(x: torch.Tensor, groups: int, eps: float) -> torch.Tensor:
    n, c, h, w = x.shape
    g = x.view(n, c // groups, groups, h, w)
    mean = g.mean((1, 3, 4), keepdim=True)
    var = g.var((1, 3, 4), unbiased=False, keepdim=True)
    return ((g - mean) / torch.sqrt(var + eps)).view(n, c, h, w)


def view_only(x: torch.Tensor, groups: int, eps: float) -> torch.Tensor:
    """The view repaired, the reduced dims not: each statistic runs over the groups, one channel slot at a time."""
    return _grouped(x, groups, (1, 3), eps=eps)


def dims_only(x: torch.Tensor, groups: int, eps: float) -> torch.Tensor:
    """The reduced dims repaired, the view not: (N, C/G, G, ...) makes C/G groups of G neighbouring channels."""
    return _grouped(x, x.shape[1] // groups, GROUPED_DIMS, eps=eps)


bug_group_norm = FunctionExercise(
    "bug_group_norm", "Repair my_group_norm(x, groups, eps): GroupNorm without affine on (N, C, H, W).",
    _cases, lambda x, groups, eps: F.group_norm(x, groups, eps=eps),
    {"original": (broken, "still the original bug: each of your groups holds C/G·H·W values and comes out with mean "
                           "0 and variance 1, yet your output differs from torch's"),
     "view_only": (view_only, "closer: your groups still take every (C/G)-th channel instead of neighbours; compare "
                               "the dims you reduce with the view you made"),
     "dims_only": (dims_only, "now each of your groups holds G·H·W values, not C/G·H·W"), **group_slips()})

predict_instance_eval = prediction(
    "predict_instance_eval",
    "An nn.InstanceNorm2d(3) with its default arguments sees some training batches, then is switched to eval(). On "
    "the same image, is its output in eval 'the same' as in train or 'different'?",
    "the same", {"different": "what would eval use in place of the image's own statistics? Look at what the layer "
                              "stores while it trains"}, also_right=("same",))


class NormDesign:
    """The design task: make_norm(C) must give a layer with every property the network of lessons.design needs."""

    name = "design_norm"
    question = (f"Write make_norm(channels) -> a torch.nn layer for the segmentation network of lessons.design: "
                f"{CHANNELS} feature maps, batches of 2 crops of {CROP[0]}×{CROP[1]}, whole {FRAME[0]}×{FRAME[1]} "
                f"frames at test.")

    def __call__(self, make_norm: Any) -> Verdict:
        """✓ if the layer has all five properties; else the symptom of each one it lacks."""
        if not is_function(make_norm):
            return Verdict.wrong(self.name, "pass your make_norm function itself (its name, without calling it).",
                                 ("missing",))
        try:
            if make_norm(CHANNELS) is None:
                return Verdict.wrong(self.name, "no answer yet: make_norm returns None; return a torch.nn layer.",
                                     ("missing",))
            m = measure(make_norm)
        except (RuntimeError, ValueError, TypeError) as err:
            return Verdict.wrong(self.name, f"your layer raised on a batch of 2 crops of ({CHANNELS}, {CROP[0]}, "
                                            f"{CROP[1]}): {str(err).splitlines()[0]}", ("raises",))
        symptoms = {
            "alone": f"image 0's output moves by up to {m.alone:.2f} when only the other image of its batch changes",
            "eval": f"in eval mode the output differs from train mode's by up to {m.eval:.2f} on the same images, "
                    f"so at test the network would not run what it trained",
            "size": f"the layer fails on a {FRAME[0]}×{FRAME[1]} frame after {CROP[0]}×{CROP[1]} crops: its "
                    f"parameters are tied to one image size",
            "contrast": "two images that differ only in how strongly feature map 0 responds come out alike: that "
                        "difference is gone after your layer",
            "scale": f"a 10 times larger input moves the output by up to {m.scale:.2f}: the layer does not normalize "
                     f"the scale away",
        }
        failed = [key for key, ok in m.passed().items() if not ok]
        if not failed:
            return Verdict.right(self.name, "correct: your layer has all five properties the network needs.")
        return Verdict.wrong(self.name, "; and ".join(symptoms[k] for k in failed) + ".", tuple(failed))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


design_norm = NormDesign()
