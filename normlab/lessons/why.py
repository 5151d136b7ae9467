"""Notebook 07's training experiments on the digits fitted by d2l's Trainer, each over several seeds.

The notebook runs its studies through its own on-screen loop (`normlab.lessons.experiment` supplies the networks); these
are the same runs made by d2l's Trainer, step for step equal to the loop's (a notebook cell and a test hold them
together). The widget, the checkers and the tests use them:

- `ioffe_figure1`: Ioffe & Szegedy's Figure 1, small: a sigmoid MLP with and without BatchNorm.
- `lr_sweep`: final training loss over learning rates, with and without BatchNorm (the range that trains).
- `batch_size_study`: BatchNorm, GroupNorm and LayerNorm as the batch shrinks to 2 (Wu & He's effect).
- `twin_runs`: the same network trained with torch's layers and with normlab's, step for step.
One run's outcome depends on the last bits of its arithmetic, and those differ between CPUs, thread counts and
BLAS paths; so every experiment trains one network per seed in `SEEDS` (`lessons.seeds`, all at once), in float64
(`normlab.lessons.seeds.DTYPE` says why), and the notebook states what holds over the seeds. Results are cached per
argument: a widget built from them costs no training.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from normlab.lessons.digits import DigitsData, load_digits
from normlab.lessons.seeds import DTYPE, SEEDS, SeedsMLP, fit_seeds
from normlab.lessons.train import DigitsMLP, Run, fit

__all__ = ["SEEDS", "LRS", "DTYPE", "train_run", "seed_runs", "ioffe_figure1", "sweep_runs", "lr_sweep", "count",
           "BatchSizeResult", "batch_size_study", "Twins", "twin_runs", "status", "batch_gap"]

LRS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the learning rates of the sweep (SGD, plain), about 3 times apart


def status(run: Run) -> str:
    """'trains' (final loss below 1), 'diverges' (inf, nan, or above the loss of guessing, ln 10) or 'stalls'."""
    if run.diverged:
        return "diverges"
    return "trains" if run.final_loss < 1.0 else "stalls"


def count(runs: tuple[Run, ...], outcome: str = "trains") -> int:
    """How many of the runs (one per seed) ended with this status."""
    return sum(status(r) == outcome for r in runs)


@lru_cache(maxsize=256)
def train_run(norm: str, act: str, lr: float, epochs: int, batch_size: int = 60, scale: str = "standard",
              layers: str = "torch", record_every: int = 24, seed: int = 0,
              dtype: torch.dtype = torch.float32) -> tuple[Run, DigitsMLP]:
    """One seeded fit of a 3-hidden-layer, 100-unit MLP on the digits; cached by its arguments."""
    torch.manual_seed(seed)
    model = DigitsMLP(norm, act, depth=3, width=100, lr=lr, layers=layers, record_every=record_every).to(dtype)
    data = DigitsData(load_digits(scale, dtype), batch_size, seed=seed, drop_last=True)
    return fit(model, data, epochs, seed=seed), model


@lru_cache(maxsize=64)
def seed_runs(norm: str, act: str, lr: float, epochs: int, batch_size: int = 60, scale: str = "standard",
              record_every: int = 24, seeds: tuple[int, ...] = SEEDS) -> tuple[tuple[Run, ...], SeedsMLP]:
    """`train_run` for every seed at once (float64): one Run per seed, and the model holding them all."""
    model = SeedsMLP(seeds, norm, act, depth=3, width=100, lr=lr, record_every=record_every, dtype=DTYPE)
    return tuple(fit_seeds(model, load_digits(scale, DTYPE), batch_size, epochs)), model


def ioffe_figure1(epochs: int = 20, lr: float = 1.0) -> dict[str, tuple[Run, ...]]:
    """Sigmoid MLP on pixels in [0, 1], plain and with BatchNorm before each sigmoid, batch 60, SGD at lr."""
    return {norm: seed_runs(norm, "sigmoid", lr, epochs, scale="unit", record_every=25)[0]
            for norm in ("none", "batch")}


def sweep_runs(norm: str, lr: float, epochs: int = 6) -> tuple[Run, ...]:
    """One cell of the sweep: the ReLU MLP on standardized pixels, plain or with BatchNorm, 6 epochs of batch 60
    (a checkpoint at the start of every epoch of 23 steps)."""
    return seed_runs(norm, "relu", lr, epochs, record_every=23)[0]


def lr_sweep(lrs: tuple[float, ...] = LRS, epochs: int = 6) -> dict[tuple[str, float], tuple[Run, ...]]:
    """`sweep_runs` at every learning rate, plain and with BatchNorm."""
    return {(norm, lr): sweep_runs(norm, lr, epochs) for norm in ("none", "batch") for lr in lrs}


@dataclass(frozen=True)
class BatchSizeResult:
    """One norm at one batch size, per seed: test accuracy in eval mode, and the gap to the accuracy with the test
    images normalized batch by batch (the statistics training used)."""

    norm: str
    batch_size: int
    eval_acc: tuple[float, ...]
    gap: tuple[float, ...]  # batch-statistics accuracy minus eval accuracy, on the same images (0: no mismatch)


@torch.no_grad()
def batch_gap(model: SeedsMLP, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[float, ...]:
    """Each member's accuracy on x in batches of batch_size in train mode (the statistics training saw) minus its
    accuracy in eval mode, both on the same images (a short last batch is left out of both)."""
    keep = len(x) // batch_size * batch_size
    x, y = x[:keep].to(DTYPE), y[:keep]
    train_copy = copy.deepcopy(model).train()  # a copy: train mode would move the model's own running statistics
    batch_logits = torch.cat([train_copy(xb) for xb in x.split(batch_size)], dim=1)  # (S, keep, 10)
    eval_logits = copy.deepcopy(model).eval()(x)
    gap = (batch_logits.argmax(-1) == y).to(DTYPE).mean(1) - (eval_logits.argmax(-1) == y).to(DTYPE).mean(1)
    return tuple(round(v, 4) for v in gap.tolist())


def batch_size_study(sizes: tuple[int, ...] = (2, 8, 64), norms: tuple[str, ...] = ("batch", "group", "layer"),
                     epochs: int = 2, lr: float = 0.05) -> list[BatchSizeResult]:
    """Each norm trained at each batch size for the same number of epochs (so the same samples seen)."""
    digits = load_digits("standard", DTYPE)
    out = []
    for norm in norms:
        for size in sizes:
            runs, model = seed_runs(norm, "relu", lr, epochs, batch_size=size, record_every=10**9)
            out.append(BatchSizeResult(norm, size, tuple(r.test_acc[-1] for r in runs),
                                       batch_gap(model, digits.x_test, digits.y_test, size)))
    return out


@dataclass(frozen=True)
class Twins:
    """The same seeded training with torch's BatchNorm1d and with normlab's: how far apart they end up."""

    torch_run: Run
    normlab_run: Run
    max_loss_diff: float
    max_param_diff: float

    def __repr__(self) -> str:
        return (f"Twins({len(self.torch_run.loss)} steps: max |loss difference| {self.max_loss_diff:.1e}, max "
                f"|parameter difference| {self.max_param_diff:.1e}, test accuracy {self.torch_run.test_acc[-1]:.4f} "
                f"(torch) vs {self.normlab_run.test_acc[-1]:.4f} (normlab))")


def twin_runs(epochs: int = 10, lr: float = 1.0, dtype: torch.dtype = DTYPE) -> Twins:
    """The BatchNorm sigmoid MLP of Figure 1, trained once with torch's layers and once with normlab's."""
    (run_t, model_t), (run_n, model_n) = (train_run("batch", "sigmoid", lr, epochs, scale="unit", layers=lib,
                                                    record_every=100, dtype=dtype) for lib in ("torch", "normlab"))
    loss_diff = max(abs(a - b) for a, b in zip(run_t.loss, run_n.loss, strict=True))
    params_n = dict(model_n.state_dict())
    param_diff = max((p.double() - params_n[k].double()).abs().max().item() for k, p in model_t.state_dict().items())
    return Twins(run_t, run_n, loss_diff if math.isfinite(loss_diff) else math.inf, param_diff)
