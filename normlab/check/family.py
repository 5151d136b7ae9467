"""Exercises of notebook 09: GroupNorm by hand, find the bug in a GroupNorm, and InstanceNorm in eval mode.

`group_norm_by_hand(fn)` calls fn(x, groups, eps) on (N, C, H, W) inputs and compares with torch's group_norm and
with the usual slips: groups made of every G-th channel (a view in the wrong order), statistics over the channels
only, over the positions only (InstanceNorm), over all channels (one group), over the batch too, the unbiased
variance, eps outside the square root.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from normlab.check.core import prediction
from normlab.check.functions import Case, FunctionExercise

__all__ = ["group_norm_by_hand", "bug_group_norm", "predict_instance_eval", "predict_group_channels", "group_slips"]


def _cases() -> list[Case]:
    """(x, groups, eps): groups strictly between 1 and C, so a wrong grouping shows; a large eps on one case."""
    out = []
    for k, (shape, groups, eps) in enumerate((((2, 6, 3, 4), 3, 1e-5), ((3, 8, 2, 2), 2, 1e-5),
                                              ((2, 4, 5, 3), 2, 0.5))):
        x = torch.randn(shape, generator=torch.Generator().manual_seed(90 + k), dtype=torch.float64) * 2 + 1
        out.append(Case(f"x of shape {shape} with groups={groups}, eps={eps}", (x, groups, eps)))
    return out


def _grouped(x: torch.Tensor, groups: int, dims: tuple[int, ...], interleaved: bool = False, unbiased: bool = False,
             eps_outside: bool = False, eps: float = 1e-5) -> torch.Tensor:
    """Normalize the (N, G, C/G, H·W) view of x over dims (the interleaved view puts channel c in group c % G)."""
    n, c = x.shape[:2]
    if interleaved:
        view = x.reshape(n, c // groups, groups, -1).transpose(1, 2)
    else:
        view = x.reshape(n, groups, c // groups, -1)
    mean = view.mean(dims, keepdim=True)
    var = view.var(dims, unbiased=unbiased, keepdim=True)
    out = (view - mean) / (var.sqrt() + eps if eps_outside else torch.sqrt(var + eps))
    return (out.transpose(1, 2) if interleaved else out).reshape(x.shape)


def group_slips() -> dict[str, tuple[Callable, str]]:
    """GroupNorm written wrong, and what each mistake is, in words."""
    return {
        "interleaved": (lambda x, g, eps: _grouped(x, g, (2, 3), interleaved=True, eps=eps),
                        "your groups take every G-th channel together (channels 0, G, 2G, ...); a GroupNorm group is "
                        "C/G consecutive channels"),
        "channels_only": (lambda x, g, eps: _grouped(x, g, (2,), eps=eps),
                          "each group's statistics run over its channels and over all their positions H·W; yours "
                          "leave the positions out"),
        "positions_only": (lambda x, g, eps: F.instance_norm(x, eps=eps),
                           "you normalized every channel on its own (that is InstanceNorm); a group's statistics run "
                           "over all of its C/G channels"),
        "one_group": (lambda x, g, eps: F.group_norm(x, 1, eps=eps),
                      "you normalized over all channels of a sample at once (that is one group); split C into "
                      "`groups` groups first"),
        "with_batch": (lambda x, g, eps: _grouped(x, g, (0, 2, 3), eps=eps),
                       "your statistics run over the batch too; GroupNorm's are per sample, like LayerNorm's"),
        "unbiased": (lambda x, g, eps: _grouped(x, g, (2, 3), unbiased=True, eps=eps),
                     "you used the unbiased variance (divide by n - 1); GroupNorm divides by n"),
        "eps_outside": (lambda x, g, eps: _grouped(x, g, (2, 3), eps_outside=True, eps=eps),
                        "eps goes inside the square root: sqrt(var + eps)"),
    }


group_norm_by_hand = FunctionExercise(
    "group_norm_by_hand", "Write group_norm(x, groups, eps) for x of shape (N, C, H, W), without affine, using only "
                          "reshape, mean and var.",
    _cases, lambda x, groups, eps: F.group_norm(x, groups, eps=eps), group_slips())


def _broken(x: torch.Tensor, groups: int, eps: float) -> torch.Tensor:
    n, c, h, w = x.shape
    g = x.view(n, c // groups, groups, h, w)
    mean = g.mean((1, 3, 4), keepdim=True)
    var = g.var((1, 3, 4), unbiased=False, keepdim=True)
    return ((g - mean) / torch.sqrt(var + eps)).view(n, c, h, w)


bug_group_norm = FunctionExercise(
    "bug_group_norm", "Repair my_group_norm(x, groups, eps): GroupNorm without affine on (N, C, H, W).",
    _cases, lambda x, groups, eps: F.group_norm(x, groups, eps=eps),
    {"original": (_broken, "still the original bug: every group has the right number of values and the output has "
                           "mean 0 and variance 1 per group, but the groups are not torch's: look at which channels "
                           "one group holds"), **group_slips()})

predict_instance_eval = prediction(
    "predict_instance_eval",
    "An nn.InstanceNorm2d(3) with its default arguments sees some training batches, then is switched to eval(). On "
    "the same image, is its output in eval 'the same' as in train or 'different'?",
    "the same", {"different": "with its defaults an InstanceNorm keeps no running statistics, so there is nothing "
                              "else for eval to use"}, also_right=("same",))

predict_group_channels = prediction(
    "predict_group_channels",
    "nn.GroupNorm(3, 12) on (N, 12, H, W): which channels are in the group of channel 7? A sorted tuple of indices.",
    (4, 5, 6, 7), {
        (1, 4, 7, 10): "those are every third channel; a group is C/G consecutive channels",
        (6, 7, 8): "3 is the number of groups, not the channels per group: 12 channels in 3 groups",
        (7,): "one channel alone is InstanceNorm's statistic; here C/G channels share one",
        tuple(range(12)): "that is one group (LayerNorm's statistics): here there are three"})
