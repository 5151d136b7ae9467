"""What a normalization layer keeps, and what one training step changes in it.

`state_table(module)` lists every tensor a module holds: parameter or buffer, shape, dtype, requires_grad, and
whether `state_dict()` saves it. `one_step(...)` builds a BatchNorm1d with the given flags, puts it in train or eval
mode, runs one forward, backward and SGD step on a seeded batch, and reports every value before and after.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["TensorRow", "state_table", "StepRow", "StepReport", "snapshot", "step_rows", "one_step", "FEATURES"]

FEATURES = 3


@dataclass(frozen=True)
class TensorRow:
    """One tensor a module holds."""

    name: str
    kind: str  # "parameter", "buffer" or "plain attribute"
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool
    saved: bool  # in state_dict()


def state_table(module: nn.Module) -> list[TensorRow]:
    """Every parameter, buffer and plain tensor attribute of module (not of its children)."""
    saved, rows = set(module.state_dict(keep_vars=True)), []
    tensors = [(n, "parameter", t) for n, t in module.named_parameters(recurse=False)]
    tensors += [(n, "buffer", t) for n, t in module.named_buffers(recurse=False)]
    tensors += [(n, "plain attribute", t) for n, t in vars(module).items() if isinstance(t, torch.Tensor)]
    for name, kind, t in tensors:
        rows.append(TensorRow(name, kind, tuple(t.shape), str(t.dtype).removeprefix("torch."), t.requires_grad,
                              name in saved))
    return rows


@dataclass(frozen=True)
class StepRow:
    """One value before and after the step (None where the layer has no such tensor)."""

    name: str
    before: tuple[float, ...] | None
    after: tuple[float, ...] | None

    @property
    def changed(self) -> bool:
        return self.before is not None and self.before != self.after


@dataclass(frozen=True)
class StepReport:
    """The flags, which statistics the forward used, what the optimizer could update, and every value."""

    flags: str
    statistics: str
    optimizer: str
    rows: tuple[StepRow, ...]

    def row(self, name: str) -> StepRow:
        return next(r for r in self.rows if r.name == name)


def _values(t: torch.Tensor | None) -> tuple[float, ...] | None:
    if t is None:
        return None
    if not t.is_floating_point():
        return tuple(int(v) for v in t.reshape(-1))  # num_batches_tracked
    return tuple(round(float(v), 4) + 0.0 for v in t.detach().reshape(-1))  # + 0.0: no -0.0


def snapshot(bn: nn.BatchNorm1d) -> dict[str, tuple[float, ...] | None]:
    """Every value a BatchNorm holds, rounded to 4 decimals (None where it has no such tensor)."""
    return {"weight": _values(bn.weight), "bias": _values(bn.bias), "running_mean": _values(bn.running_mean),
            "running_var": _values(bn.running_var), "num_batches_tracked": _values(bn.num_batches_tracked)}


def one_step(train: bool = True, requires_grad: bool = True, track_running_stats: bool = True, affine: bool = True,
             lr: float = 0.5, seed: int = 0) -> StepReport:
    """One forward, backward and SGD step of a fresh BatchNorm1d(3) with these flags, on a seeded (16, 3) batch."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(16, FEATURES, generator=gen) * torch.tensor([3.0, 1.0, 0.5]) + torch.tensor([2.0, -1.0, 0.5])
    target = torch.randn(16, FEATURES, generator=gen)
    bn = nn.BatchNorm1d(FEATURES, affine=affine, track_running_stats=track_running_stats)
    bn.requires_grad_(requires_grad)
    bn.train(train)
    before = snapshot(bn)
    y = bn(x)
    trainable = [p for p in bn.parameters() if p.requires_grad]
    if trainable:
        loss = ((y - target) ** 2).mean()
        loss.backward()
        torch.optim.SGD(trainable, lr=lr).step()
        optimizer = f"SGD updated {', '.join(n for n, p in bn.named_parameters() if p.requires_grad)}"
    else:
        optimizer = ("nothing to update: " + ("affine=False, the layer has no parameters" if not affine else
                                              "weight and bias do not require grad"))
    uses_batch = train or not track_running_stats
    statistics = ("the batch's own mean and variance" if uses_batch else "running_mean and running_var") + (
        " (eval mode, but there are no running statistics to use)" if not train and not track_running_stats else "")
    rows = step_rows(before, bn, y)
    flags = (f"{'train' if train else 'eval'}(), requires_grad={requires_grad}, "
             f"track_running_stats={track_running_stats}, affine={affine}")
    return StepReport(flags, statistics, optimizer, rows)


def step_rows(before: dict[str, tuple[float, ...] | None], bn: nn.BatchNorm1d, y: torch.Tensor
              ) -> tuple[StepRow, ...]:
    """The output's mean and std per feature, then every value of bn: before (a snapshot) and now."""
    after = snapshot(bn)
    rows = [StepRow("output mean", None, _values(y.mean(0))), StepRow("output std", None,
                                                                        _values(y.std(0, unbiased=False)))]
    return tuple(rows + [StepRow(name, before[name], after[name]) for name in before])
