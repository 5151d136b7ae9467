"""Many seeds at once: S independent copies of `DigitsMLP`, trained side by side in one network by d2l's Trainer.

Why this exists: notebook 07 states every training result over several seeds (one run's outcome depends on the
last bits of its arithmetic, which differ between machines). Its networks are so small that a step costs Python
overhead, not arithmetic, so S copies in one batched step cost about as much as one copy.

How: member s is exactly the `DigitsMLP` that `torch.manual_seed(s)` builds, fed the batches that
`DigitsData(seed=s)` gives; tests/lessons/test_seeds.py holds the two equal step for step. Inputs are
`(S, N, features)`.
A Linear becomes one batched matmul; a norm layer sees the `(N, S·C)` view, on which `BatchNorm1d(S·C)` keeps one
mean per (member, feature) — the statistics of S separate `BatchNorm1d(C)` — and `GroupNorm(S·G, S·C)` makes the
groups of S separate `GroupNorm(G, C)` (G = 1: `LayerNorm(C)`).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from normlab.lessons.d2l import import_d2l
from normlab.lessons.digits import Digits
from normlab.lessons.train import ACTS, DigitsMLP, Recording, Run

__all__ = ["SEEDS", "DTYPE", "SeedLinear", "SeedNorm", "SeedsMLP", "SeedBatches", "SeedsData", "fit_seeds"]

d2l = import_d2l()
SEEDS = (0, 1, 2, 3, 4)  # notebook 07 trains one network per seed and states what holds over them
# float64: a run's last bits differ between CPUs by 1e-16 instead of float32's 1e-7, so a stable run comes out the
# same on every machine; only runs at the edge of stability still part ways (notebook 07 shows both).
DTYPE = torch.float64


class SeedLinear(nn.Module):
    """S Linear layers applied to their own inputs: (S, N, in) -> (S, N, out)."""

    def __init__(self, linears: list[nn.Linear]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.stack([m.weight.detach() for m in linears]))  # (S, out, in)
        self.bias = nn.Parameter(torch.stack([m.bias.detach() for m in linears]))  # (S, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))


def _stacked_norm(norm: str, layers: list[nn.Module], width: int) -> nn.Module:
    """One torch layer over S·width features that normalizes like the S given layers, with their values."""
    s = len(layers)
    if norm == "batch":
        big = nn.BatchNorm1d(s * width)
    else:  # GroupNorm(G, C) per member -> GroupNorm(S·G, S·C); LayerNorm(C) is G = 1
        big = nn.GroupNorm(s * (layers[0].num_groups if norm == "group" else 1), s * width)
    with torch.no_grad():
        for name, value in big.state_dict().items():
            if name != "num_batches_tracked":
                value.copy_(torch.cat([m.state_dict()[name] for m in layers]))
    return big


class SeedNorm(nn.Module):
    """S norm layers of width C on (S, N, C), as one torch layer on the (N, S·C) view."""

    def __init__(self, norm: str, layers: list[nn.Module], width: int) -> None:
        super().__init__()
        self.layer = _stacked_norm(norm, layers, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, n, c = x.shape
        return self.layer(x.transpose(0, 1).reshape(n, s * c)).reshape(n, s, c).transpose(0, 1)


class SeedsMLP(Recording, d2l.Classifier):
    """`DigitsMLP(norm, act, ...)` for every seed, trained at once; `runs[s]` is what member s recorded."""

    def __init__(self, seeds: tuple[int, ...], norm: str = "batch", act: str = "relu", depth: int = 3,
                 width: int = 100, lr: float = 0.1, record_every: int = 50, probe_unit: int = 0,
                 dtype: torch.dtype = DTYPE) -> None:
        super().__init__(plot_train_per_epoch=1, plot_valid_per_epoch=1)
        self.lr, self.seeds = lr, seeds
        members = []
        for seed in seeds:
            torch.manual_seed(seed)
            members.append(DigitsMLP(norm, act, depth, width, lr, record_every=record_every).net)
        blocks = []
        for k in range(depth):
            parts = [SeedLinear([m[k][0] for m in members])]
            if norm != "none":
                parts.append(SeedNorm(norm, [m[k][1] for m in members], width))
            blocks.append(nn.Sequential(*parts, ACTS[act]()))
        self.net = nn.Sequential(*blocks, SeedLinear([m[-1] for m in members])).to(dtype)
        self.board.display = False
        self.runs = [Run(norm, lr, 0) for _ in seeds]
        self._start_recording(record_every, probe_unit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(S, N, 64) -> (S, N, 10); an (N, 64) input goes to every member."""
        return self.net(x.expand(len(self.seeds), *x.shape) if x.dim() == 2 else x)

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each member's mean cross-entropy on its own batch: shape (S,)."""
        logits = self(x)
        return F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(y.shape).mean(1)

    def step_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Every member's loss on its own batch, recorded; their sum, whose gradient for each member's parameters is
        the gradient of that member's own loss."""
        losses = self.losses(*batch)
        for run, value in zip(self.runs, losses.tolist(), strict=True):
            run.loss.append(value)
        return losses.sum()

    def record_percentiles(self, rows: list[tuple[float, float, float]]) -> None:
        """Keep each member's percentiles in its Run."""
        for run, row in zip(self.runs, rows, strict=True):
            run.percentiles.append(row)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Nothing: the test accuracy is taken at checkpoints (`checkpoint`)."""

    @torch.no_grad()
    def checkpoint(self, step: int) -> None:
        """Every member's test accuracy in eval mode at this step."""
        was_training = self.training
        self.eval()
        x, y = self.probe
        correct = (self(x).argmax(-1) == y).to(x.dtype).mean(1)
        for run, acc in zip(self.runs, correct.tolist(), strict=True):
            run.checkpoints.append(step)
            run.test_acc.append(round(acc, 4))
        self.train(was_training)


class SeedBatches:
    """Member s's mini-batches are those of `Batches(..., seed=s)`; yields x (S, B, 64) and y (S, B)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seeds: tuple[int, ...]) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]

    def __len__(self) -> int:
        return len(self.x) // self.batch_size  # a short last batch is left out (drop_last)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.stack([torch.randperm(len(self.x), generator=g) for g in self.generators])  # (S, n)
        for idx in order.split(self.batch_size, dim=1)[: len(self)]:
            yield self.x[idx], self.y[idx]


class SeedsData(d2l.DataModule):
    """The digits for a SeedsMLP: each member shuffles with its own seed; no validation pass (see checkpoints)."""

    def __init__(self, digits: Digits, batch_size: int, seeds: tuple[int, ...], dtype: torch.dtype) -> None:
        super().__init__()
        self.digits, self.batch_size, self.seeds, self.dtype = digits, batch_size, seeds, dtype

    def get_dataloader(self, train: bool) -> SeedBatches | None:
        d = self.digits
        return SeedBatches(d.x_train.to(self.dtype), d.y_train, self.batch_size, self.seeds) if train else None


def fit_seeds(model: SeedsMLP, digits: Digits, batch_size: int, epochs: int) -> list[Run]:
    """Fit every member with d2l's Trainer, then take a last checkpoint; returns each member's Run."""
    dtype = model.net[0][0].weight.dtype
    model.probe = (digits.x_test.to(dtype), digits.y_test)
    for run in model.runs:
        run.batch_size = batch_size
    trainer = d2l.Trainer(max_epochs=epochs)
    trainer.fit(model, SeedsData(digits, batch_size, model.seeds, dtype))
    model.checkpoint(trainer.train_batch_idx)
    return model.runs
