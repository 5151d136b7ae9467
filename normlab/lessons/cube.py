"""The Group Norm paper's Figure 2 made computable: which elements of an (N, C, H·W) tensor share a mean and variance.

`cube_groups(norm, shape, groups)` gives every element's group id for BatchNorm, LayerNorm, InstanceNorm or
GroupNorm (their dims from normlab.families); `cube_stats` computes each group's mean and variance and checks
normlab.normalize's output against torch's layer. normlab.pictures.cube draws the cube.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from normlab.core import normalize
from normlab.families import FAMILIES, GROUPED_DIMS, reduces
from normlab.layouts import group_ids
from normlab.stats import group_stats

__all__ = ["NORMS", "cube_groups", "CubeStats", "cube_stats"]

NORMS = tuple(name for name in FAMILIES if name != "RMSNorm")  # the paper's four (RMSNorm's groups are LayerNorm's)


def _dims(norm: str) -> tuple[int, ...]:
    """The reduction dims of each norm on (N, C, L); LayerNorm's is the paper's, over [C, L] (per image)."""
    return reduces(norm, 3, trailing=2)


def cube_groups(norm: str, shape: tuple[int, int, int], groups: int = 2) -> torch.Tensor:
    """Group id of every element of an (N, C, L) tensor: equal ids share one mean and variance."""
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r}: choose one of {', '.join(NORMS)}.")
    n, c, length = shape
    if norm != "GroupNorm":
        return group_ids(shape, _dims(norm))
    if groups <= 0 or c % groups:
        raise ValueError(f"GroupNorm({groups}, {c}): C = {c} channels cannot be split into {groups} equal groups; "
                         f"pick a divisor of {c}.")
    return group_ids((n, groups, c // groups, length), GROUPED_DIMS).reshape(shape)


@dataclass(frozen=True)
class CubeStats:
    """Each group's mean and variance (normlab), the torch layer that makes the same groups, and max |difference|."""

    norm: str
    groups: int
    n_groups: int
    per_group: int
    means: torch.Tensor
    variances: torch.Tensor
    layer: str
    max_diff: float


def _torch_layer(norm: str, c: int, length: int, groups: int) -> tuple[str, nn.Module]:
    """torch's layer for this norm on (N, C, L), its statistics from the batch (train mode), no affine."""
    return {"BatchNorm": (f"nn.BatchNorm1d({c})", lambda: nn.BatchNorm1d(c, affine=False)),
            "LayerNorm": (f"nn.LayerNorm([{c}, {length}])", lambda: nn.LayerNorm([c, length],
                                                                               elementwise_affine=False)),
            "InstanceNorm": (f"nn.InstanceNorm1d({c})", lambda: nn.InstanceNorm1d(c)),
            "GroupNorm": (f"nn.GroupNorm({groups}, {c})", lambda: nn.GroupNorm(groups, c, affine=False)),
            }[norm]


def cube_stats(norm: str, x: torch.Tensor, groups: int = 2) -> CubeStats:
    """Statistics of every group of x (N, C, L) under `norm`, and normlab's output checked against torch's layer."""
    n, c, length = x.shape
    count, means, var = group_stats(x, cube_groups(norm, tuple(x.shape), groups))
    if norm == "GroupNorm":
        grouped = x.reshape(n, groups, c // groups, length)  # (N, G, C/G, L)
        ours = normalize(grouped, GROUPED_DIMS).reshape(x.shape)
    else:
        ours = normalize(x, _dims(norm))
    name, make = _torch_layer(norm, c, length, groups)
    with torch.no_grad():
        diff = (make().to(x.dtype).train()(x) - ours).abs().max().item()
    return CubeStats(norm, groups, len(count), int(count[0]), means, var, name, diff)

