"""Notebook 07's training experiments on the digits, each seeded, each returning plain numbers to print and draw.

- `ioffe_figure1`: Ioffe & Szegedy's Figure 1, small: a sigmoid MLP with and without BatchNorm.
- `lr_sweep`: final training loss over learning rates, with and without BatchNorm (the range that trains).
- `batch_size_study`: BatchNorm, GroupNorm and LayerNorm as the batch shrinks to 2 (Wu & He's effect).
- `twin_runs`: the same network trained with torch's layers and with normlab's, step for step.
Every run is a d2l Trainer fit of `normlab.train.DigitsMLP`; the results are cached per argument, so a widget
built from them later in the notebook costs no training.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from normlab.digits import DigitsData, load_digits
from normlab.train import DigitsMLP, Run, fit

__all__ = ["LRS", "train_run", "ioffe_figure1", "lr_sweep", "BatchSizeResult", "batch_size_study", "Twins",
           "twin_runs", "status"]

LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 10.0)  # the learning rates of the sweep (SGD, plain)


def status(run: Run) -> str:
    """'trains' (final loss below 0.5), 'diverges' (inf, nan, or above the loss of guessing) or 'stalls'."""
    if run.diverged:
        return "diverges"
    return "trains" if run.final_loss < 0.5 else "stalls"


@lru_cache(maxsize=256)
def train_run(norm: str, act: str, lr: float, epochs: int, batch_size: int = 60, scale: str = "standard",
              layers: str = "torch", record_every: int = 24, seed: int = 0) -> tuple[Run, DigitsMLP]:
    """One seeded fit of a 3-hidden-layer, 100-unit MLP on the digits; cached by its arguments."""
    torch.manual_seed(seed)
    model = DigitsMLP(norm, act, depth=3, width=100, lr=lr, layers=layers, record_every=record_every)
    run = fit(model, DigitsData(load_digits(scale), batch_size, seed=seed, drop_last=True), epochs, seed=seed)
    return run, model


def ioffe_figure1(epochs: int = 100, lr: float = 1.0) -> dict[str, Run]:
    """Sigmoid MLP on pixels in [0, 1], plain and with BatchNorm before each sigmoid, batch 60, SGD at lr."""
    return {norm: train_run(norm, "sigmoid", lr, epochs, scale="unit", record_every=100)[0]
            for norm in ("none", "batch")}


def lr_sweep(lrs: tuple[float, ...] = LRS, epochs: int = 10) -> dict[tuple[str, float], Run]:
    """ReLU MLP on standardized pixels, plain and with BatchNorm, at every learning rate: 10 epochs of batch 60."""
    return {(norm, lr): train_run(norm, "relu", lr, epochs)[0] for norm in ("none", "batch") for lr in lrs}


@dataclass(frozen=True)
class BatchSizeResult:
    """One norm at one batch size: test accuracy in eval mode, and with the test set normalized batch by batch."""

    norm: str
    batch_size: int
    eval_acc: float
    batch_acc: float
    final_loss: float

    @property
    def gap(self) -> float:
        """Accuracy with batch statistics minus accuracy in eval mode (0 for norms without running statistics)."""
        return self.batch_acc - self.eval_acc


@torch.no_grad()
def _batch_accuracy(model: DigitsMLP, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> float:
    """Accuracy of a train-mode copy on x in batches of batch_size: the statistics training saw, not the running."""
    copy_ = copy.deepcopy(model).train()  # a copy: train mode would move the model's own running statistics
    keep = len(x) // batch_size * batch_size
    logits = torch.cat([copy_(xb) for xb in x[:keep].split(batch_size)])
    return (logits.argmax(1) == y[:keep]).float().mean().item()


def batch_size_study(sizes: tuple[int, ...] = (2, 4, 16, 64), norms: tuple[str, ...] = ("batch", "group", "layer"),
                     epochs: int = 3, lr: float = 0.05) -> list[BatchSizeResult]:
    """Each norm trained at each batch size for the same number of epochs (so the same samples seen)."""
    digits = load_digits("standard")
    out = []
    for norm in norms:
        for size in sizes:
            run, model = train_run(norm, "relu", lr, epochs, batch_size=size, record_every=10**9)
            batch_acc = _batch_accuracy(model, digits.x_test, digits.y_test, size)
            out.append(BatchSizeResult(norm, size, run.test_acc[-1], round(batch_acc, 4), run.final_loss))
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


def twin_runs(epochs: int = 20, lr: float = 1.0) -> Twins:
    """The BatchNorm sigmoid MLP of Figure 1, trained once with torch's layers and once with normlab's."""
    (run_t, model_t), (run_n, model_n) = (train_run("batch", "sigmoid", lr, epochs, scale="unit", layers=lib,
                                                    record_every=100) for lib in ("torch", "normlab"))
    loss_diff = max(abs(a - b) for a, b in zip(run_t.loss, run_n.loss, strict=True))
    params_n = dict(model_n.state_dict())
    param_diff = max((p.float() - params_n[k].float()).abs().max().item() for k, p in model_t.state_dict().items())
    return Twins(run_t, run_n, loss_diff if math.isfinite(loss_diff) else math.inf, param_diff)
