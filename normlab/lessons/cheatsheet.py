"""The course's cheat sheet, computed: for a torch layer, what it reduces over, what it learns and keeps, and how
it behaves in train and eval mode, each found by running the layer (notebook 13).

`describe(layer, x, letters)` finds the reduction dims by trying every choice of dims with `normalize` (on a view
of x, for GroupNorm) and keeping the one that equals the layer's output; reads the parameters and buffers off the
module; compares its output in eval mode after one training step with its output in training; and checks whether a
sample's output changes when its batch mates change.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import torch
from torch import nn

from normlab.core import normalize

__all__ = ["Row", "describe", "reduction_dims", "render"]


@dataclass(frozen=True)
class Row:
    """One line of the cheat sheet."""

    layer: str
    reduces_over: str
    parameters: str
    buffers: str
    eval_differs: bool
    batch_coupled: bool


def reduction_dims(layer: nn.Module, x: torch.Tensor, groups: int = 1, center: bool = True) -> tuple[int, ...] | None:
    """The dims of x (of its (N, groups, C / groups, ...) view when groups > 1) whose normalize equals layer(x)."""
    with torch.no_grad():
        out = layer(x)
        view = x.reshape(x.shape[0], groups, x.shape[1] // groups, *x.shape[2:]) if groups > 1 else x
        eps = getattr(layer, "eps", 1e-5) or 1e-5
        for k in range(1, view.dim() + 1):
            for dims in combinations(range(view.dim()), k):
                if torch.allclose(normalize(view, dims, eps, center=center).reshape(x.shape), out, atol=1e-4):
                    return dims
    return None


def _shapes(named: list[tuple[str, torch.Tensor]]) -> str:
    return ", ".join(f"{name} {tuple(t.shape)}" for name, t in named if t is not None) or "none"


def describe(name: str, layer: nn.Module, x: torch.Tensor, letters: str, groups: int = 1,
             center: bool = True) -> Row:
    """Run layer on x (a fresh copy per question) and fill one row; letters names x's dims, e.g. 'NCL'."""
    dims = reduction_dims(layer, x, groups, center)
    if dims is None:
        raise ValueError(f"{name}: no choice of dims of {tuple(x.shape)} reproduces it with normalize")
    names = letters if groups == 1 else letters[0] + "G" + letters[1:]  # the (N, G, C/G, ...) view of GroupNorm
    over = "(" + ", ".join(("C/G" if names[d] == "C" and groups > 1 else names[d]) for d in dims) + ")"
    layer.train()
    with torch.no_grad():
        trained = layer(x)  # one training step: running statistics, if any, move
        layer.eval()
        evaluated = layer(x)
        layer.train()
        alone = layer(x[:1])[0] if x.shape[0] > 1 else trained[0]
    return Row(name, over, _shapes(list(layer.named_parameters())), _shapes(list(layer.named_buffers())),
               not torch.allclose(trained, evaluated, atol=1e-5), not torch.allclose(alone, trained[0], atol=1e-5))


def render(rows: list[Row], part: str = "behaviour") -> str:
    """The rows as an aligned text table: part 'behaviour' (dims, eval, batch) or 'state' (parameters, buffers)."""
    if part == "state":
        head: tuple[str, ...] = ("layer", "parameters", "buffers")
        lines = [(r.layer, r.parameters, r.buffers) for r in rows]
    else:
        head = ("layer", "reduces over", "eval differs", "sample sees batch")
        lines = [(r.layer, r.reduces_over, "yes" if r.eval_differs else "no", "yes" if r.batch_coupled else "no")
                 for r in rows]
    widths = [max(len(str(line[i])) for line in [head, *lines]) for i in range(len(head))]
    fmt = " | ".join(f"{{:{w}}}" for w in widths)
    body = [fmt.format(*head), "-+-".join("-" * w for w in widths), *(fmt.format(*line) for line in lines)]
    return "\n".join(line.rstrip() for line in body)
