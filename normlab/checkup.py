"""Checks for the traps one forward pass cannot see: weight decay in the optimizer, running statistics moved by code
that should leave them, samples that see each other through the batch, and a normalization computed in half precision.

normlab.audit reads a model and one batch; these read what lies around it: the optimizer's parameter groups, a block of
code (a validation loop), a second batch, a function you wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

from normlab.auditing import NORM_KINDS, audit
from normlab.frozen import kept_as_is

__all__ = ["norm_parameters", "decayed_parameters", "decayed_norm_parameters", "param_groups", "watch_running_stats",
           "batch_coupling", "half_precision_error", "checklist"]


def norm_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """The parameters (gamma and beta) of every normalization layer in model, by their names in named_parameters."""
    return {f"{name}.{p_name}" if name else p_name: p for name, m in model.named_modules()
            if isinstance(m, NORM_KINDS) for p_name, p in m.named_parameters(recurse=False)}


def decayed_parameters(optimizer: torch.optim.Optimizer) -> set[int]:
    """The ids of the parameters the optimizer's groups apply weight decay to."""
    return {id(p) for group in optimizer.param_groups if group.get("weight_decay", 0) > 0 for p in group["params"]}


def decayed_norm_parameters(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """Names of the trainable normalization parameters the optimizer applies weight decay to (empty: none)."""
    decayed = decayed_parameters(optimizer)
    return [name for name, p in norm_parameters(model).items() if id(p) in decayed and p.requires_grad]


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two parameter groups for an optimizer: weight decay on the weights of Linear, convolution and embedding layers;
    none on the normalization layers' gamma and beta, nor on any bias (every parameter with fewer than 2 dims)."""
    norms = {id(p) for p in norm_parameters(model).values()}
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2 and id(p) not in norms]
    keep = [p for p in params if p.dim() < 2 or id(p) in norms]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]


@contextmanager
def watch_running_stats(model: nn.Module) -> Iterator[list[str]]:
    """`with watch_running_stats(model) as moved:` runs the block, then lists in `moved` each buffer it changed."""
    before = {name: b.clone() for name, b in model.named_buffers()}
    moved: list[str] = []
    yield moved
    moved.extend(name for name, b in model.named_buffers() if name in before and not torch.equal(b, before[name]))


@torch.no_grad()
def batch_coupling(model: nn.Module, x: torch.Tensor, sample: int = 0, seed: int = 0) -> float:
    """How much model's output for one sample changes when the other samples of its batch are replaced by new ones
    (same mean and spread): max |difference|. 0 means the sample is computed alone; the buffers are put back."""
    if x.dim() < 2 or x.shape[0] < 2:
        raise ValueError(f"batch_coupling needs a batch of at least 2 samples along dim 0, got shape {tuple(x.shape)}.")
    others = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)
    swapped = others * x.std() + x.mean()
    swapped[sample] = x[sample]
    with kept_as_is(model):
        return (model(x)[sample] - model(swapped)[sample]).abs().max().item()


@torch.no_grad()
def half_precision_error(norm: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                         dtype: torch.dtype = torch.float16) -> float:
    """max |norm(x in dtype) - norm(x in float32)|: a normalization written by hand, checked on inputs as large as
    yours (inf or nan: it overflowed)."""
    return (norm(x.to(dtype)).float() - norm(x.float())).abs().max().item()


def checklist(model: nn.Module, batch: torch.Tensor, optimizer: torch.optim.Optimizer | None = None,
              evaluate: Callable[[nn.Module], object] | None = None) -> list[str]:
    """What normlab can check on your model, each finding with the field guide's trap: the audit's warnings on
    `batch`, weight decay on normalization parameters, buffers `evaluate(model)` moves, and eval-mode outputs that
    depend on the rest of the batch. An empty list: nothing found. Modes and buffers are put back."""
    found = list(audit(model, batch).warnings)
    if optimizer is not None and (decayed := decayed_norm_parameters(model, optimizer)):
        found.append(f"the optimizer decays the normalization parameters {', '.join(decayed)} "
                     "(decay_on_norm_parameters): give them a group with weight_decay=0 (checkup.param_groups).")
    with kept_as_is(model):
        if evaluate is not None:
            with watch_running_stats(model) as moved:
                evaluate(model)
            if moved:
                found.append(f"evaluate(model) changed the buffers {', '.join(moved[:3])}: it runs the model "
                             "in training mode (validation_in_train_mode); call model.eval() in it, then put the "
                             "mode back.")
        model.eval()
        coupling = batch_coupling(model, batch)
    if coupling > 1e-5:
        found.append(f"in eval mode, a sample's output still changes with the other samples of its batch (by up to "
                     f"{coupling:.2g}): a layer computes across the batch at prediction time (eval_batch_statistics).")
    return found
