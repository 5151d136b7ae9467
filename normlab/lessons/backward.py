"""The backward pass of normalize(x, dims), node by node and in closed form: what notebook 08 derives.

The forward as a small computation graph (`forward_graph`): mean -> centered -> var -> rstd -> x_hat -> y. Going
back through it one node at a time (`backward_by_nodes`) uses only the local derivative of each node; adding the
three paths from y to x gives the closed form (`closed_form`)

    dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)),   g = dy * gamma (the gradient with respect to x_hat),

with the means over the reduction dims: the first term is the direct path, the second the path through the mean,
the third the path through the variance. BatchNorm, LayerNorm and GroupNorm differ only in `dims`; normlab.fast
computes exactly this formula (`_Normalize.backward`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = ["Graph", "forward_graph", "backward_by_nodes", "closed_form"]


@dataclass
class Graph:
    """Every intermediate value of normalize's forward, kept for the backward pass."""

    x: torch.Tensor
    dims: tuple[int, ...]
    n: int  # how many values each statistic averages
    mean: torch.Tensor
    centered: torch.Tensor
    var: torch.Tensor
    rstd: torch.Tensor
    x_hat: torch.Tensor
    gamma: torch.Tensor
    y: torch.Tensor


def forward_graph(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, dims: Sequence[int],
                  eps: float = 1e-5) -> Graph:
    """normalize(x, dims) * gamma + beta, one node at a time (gamma and beta broadcast over x)."""
    dims = tuple(dims)
    n = 1
    for d in dims:
        n *= x.shape[d]
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)  # biased
    rstd = 1 / torch.sqrt(var + eps)
    x_hat = centered * rstd
    return Graph(x, dims, n, mean, centered, var, rstd, x_hat, gamma, x_hat * gamma + beta)


def backward_by_nodes(graph: Graph, dy: torch.Tensor) -> dict[str, torch.Tensor]:
    """The gradient of the loss with respect to every node, from dy = dL/dy, each by its node's local rule."""
    s, dims, n = graph, graph.dims, graph.n
    dgamma = (dy * s.x_hat).sum_to_size(s.gamma.shape)  # y = x_hat * gamma + beta
    dbeta = dy.sum_to_size(s.gamma.shape)
    dx_hat = dy * s.gamma
    drstd = (dx_hat * s.centered).sum(dims, keepdim=True)  # x_hat = centered * rstd: rstd is shared by a group
    dvar = drstd * (-0.5) * s.rstd ** 3  # rstd = (var + eps) ** -0.5
    dcentered = dx_hat * s.rstd + dvar * 2 * s.centered / n  # centered feeds x_hat directly, and var
    dmean = -dcentered.sum(dims, keepdim=True)  # centered = x - mean
    dx = dcentered + dmean / n  # x feeds centered directly, and mean
    return {"y": dy, "x_hat": dx_hat, "gamma": dgamma, "beta": dbeta, "rstd": drstd, "var": dvar,
            "centered": dcentered, "mean": dmean, "x": dx}


def closed_form(dy: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor, dims: Sequence[int],
                eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dgamma, dbeta) in one formula: the direct path, minus the path through the mean, minus the variance's."""
    dims = tuple(dims)
    mean = x.mean(dims, keepdim=True)
    rstd = 1 / torch.sqrt(x.var(dims, unbiased=False, keepdim=True) + eps)
    x_hat = (x - mean) * rstd
    g = dy * gamma
    dx = rstd * (g - g.mean(dims, keepdim=True) - x_hat * (g * x_hat).mean(dims, keepdim=True))
    return dx, (dy * x_hat).sum_to_size(gamma.shape), dy.sum_to_size(gamma.shape)
