"""Training the digits MLP the way d2l's chapter trains its BatchNorm LeNet: a d2l Classifier fit by d2l's Trainer.

`DigitsMLP(norm, act, ...)` is a d2l.Classifier: Linear layers with an optional normalization before each
activation, from torch (`layers="torch"`) or from normlab (`layers="normlab"`). While d2l's Trainer fits it, the
model records what the experiments need in a `Run`: the loss of every step, and at checkpoints the test accuracy
and the 15th/50th/85th percentiles of one hidden unit's input (Ioffe & Szegedy's Figure 1). With `show=True`
d2l's ProgressBoard draws the live loss plot, every `draw_every` epochs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from normlab import nn as nlnn
from normlab.families import family
from normlab.lessons.d2l import import_d2l
from normlab.lessons.digits import DigitsData

__all__ = ["NORMS", "ACTS", "norm_layer", "Run", "Recording", "DigitsMLP", "fit"]

d2l = import_d2l()
NORMS = ("none", *(family(name).short for name in ("BatchNorm", "GroupNorm", "LayerNorm")))  # "batch", ...
ACTS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def norm_layer(norm: str, width: int, layers: str = "torch", groups: int = 4) -> nn.Module:
    """BatchNorm1d, GroupNorm, LayerNorm over `width` features (torch's or normlab's), or nothing."""
    if norm not in NORMS:
        raise ValueError(f"norm={norm!r}: choose one of {', '.join(NORMS)}.")
    lib = {"torch": nn, "normlab": nlnn}[layers]
    return {"none": nn.Identity, "batch": lambda: lib.BatchNorm1d(width), "group": lambda: lib.GroupNorm(groups, width),
            "layer": lambda: lib.LayerNorm(width)}[norm]()


@dataclass
class Run:
    """What one training run recorded."""

    norm: str
    lr: float
    batch_size: int
    loss: list[float] = field(default_factory=list)  # every training step
    checkpoints: list[int] = field(default_factory=list)  # steps at which the rest was measured
    test_acc: list[float] = field(default_factory=list)
    percentiles: list[tuple[float, float, float]] = field(default_factory=list)  # 15th, 50th, 85th

    @property
    def diverged(self) -> bool:
        """The loss became inf or nan, or ended above the loss of guessing (ln 10)."""
        return not all(math.isfinite(v) for v in self.loss) or self.final_loss > math.log(10)

    @property
    def final_loss(self) -> float:
        """Mean training loss over the last tenth of the steps (inf when it blew up)."""
        tail = self.loss[-max(1, len(self.loss) // 10):]
        return sum(tail) / len(tail) if all(math.isfinite(v) for v in tail) else math.inf

    def __repr__(self) -> str:
        acc = f"{self.test_acc[-1]:.3f}" if self.test_acc else "-"
        return (f"Run(norm={self.norm!r}, lr={self.lr}, batch_size={self.batch_size}, steps={len(self.loss)}, "
                f"final loss {self.final_loss:.4f}, test accuracy {acc}{', diverged' if self.diverged else ''})")


class Recording:
    """What a digits classifier records while d2l's Trainer fits it (DigitsMLP here, lessons.seeds.SeedsMLP for many
    seeds at once): before each step the callbacks run; every `record_every` steps a checkpoint, and the 15th, 50th
    and 85th percentiles of one hidden unit's input to the last activation on that step's mini-batch. A subclass
    gives `step_loss(batch)`, `checkpoint(step)` and `record_percentiles(rows)`."""

    def _start_recording(self, record_every: int, probe_unit: int) -> None:
        self.record_every, self.probe_unit = record_every, probe_unit
        self.probe: tuple[torch.Tensor, torch.Tensor] | None = None  # test images and labels for checkpoints
        self._seen: torch.Tensor | None = None  # the last hidden activation's input in this forward, when asked
        self.callbacks: list = []  # called as f(model, batch, step) before each training step's forward
        self.net[-2][-1].register_forward_hook(self._keep_input)

    def _keep_input(self, module: nn.Module, args: tuple[torch.Tensor], output: torch.Tensor) -> None:
        if self._seen is not None:
            self._seen = args[0].detach()

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        step = self.trainer.train_batch_idx
        for callback in self.callbacks:
            callback(self, batch, step)
        measure = self.probe is not None and step % self.record_every == 0
        if measure:
            self.checkpoint(step)
            self._seen = torch.empty(0)  # ask the hook for this forward's input of the last activation
        loss = self.step_loss(batch)
        if measure:  # Ioffe & Szegedy's Figure 1(b): the input distribution of one unit, on this mini-batch
            pre = self._seen[..., self.probe_unit]  # (N,), or (S, N) for S networks
            q = torch.quantile(pre.reshape(-1, pre.shape[-1]), torch.tensor([0.15, 0.5, 0.85], dtype=pre.dtype), dim=1)
            self.record_percentiles([tuple(round(v, 4) for v in row) for row in q.T.tolist()])
            self._seen = None
        return loss


class DigitsMLP(Recording, d2l.Classifier):
    """64 inputs -> depth hidden layers (Linear, norm, activation) -> 10 classes, trained with SGD at `lr`."""

    def __init__(self, norm: str = "batch", act: str = "sigmoid", depth: int = 3, width: int = 100, lr: float = 0.1,
                 layers: str = "torch", record_every: int = 50, probe_unit: int = 0, show: bool = False,
                 draw_every: int = 10) -> None:
        super().__init__(plot_train_per_epoch=1, plot_valid_per_epoch=1)
        self.lr, self.draw_every = lr, draw_every
        blocks, d = [], 64
        for _ in range(depth):
            blocks.append(nn.Sequential(nn.Linear(d, width), norm_layer(norm, width, layers), ACTS[act]()))
            d = width
        self.net = nn.Sequential(*blocks, nn.Linear(d, 10))
        self.board.display = show
        self.run = Run(norm, lr, 0)
        self._start_recording(record_every, probe_unit)

    def activation_inputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input of every hidden activation (after the normalization), for x."""
        inputs = []
        for block in self.net[:-1]:
            pre = block[1](block[0](x))
            inputs.append(pre)
            x = block[2](pre)
        return inputs

    def step_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """This step's loss, recorded and plotted."""
        loss = self.loss(self(*batch[:-1]), batch[-1])
        self.run.loss.append(loss.item())
        self.plot("loss", loss, train=True)
        return loss

    def record_percentiles(self, rows: list[tuple[float, float, float]]) -> None:
        """Keep the one network's percentiles."""
        self.run.percentiles.append(rows[0])

    @torch.no_grad()
    def checkpoint(self, step: int) -> None:
        """The test accuracy in eval mode at this step."""
        was_training = self.training
        self.eval()
        x, y = self.probe
        self.run.checkpoints.append(step)
        self.run.test_acc.append(round(self.accuracy(self(x), y).item(), 4))
        self.train(was_training)  # back to training: forgetting this is the bug of notebook 05

    def plot(self, key: str, value: torch.Tensor, train: bool) -> None:
        """d2l's live plot, drawn only when shown and only every draw_every epochs (a redraw costs ~50 ms)."""
        if self.board.display and (self.trainer.epoch + 1) % self.draw_every == 0:
            super().plot(key, value, train)


def fit(model: DigitsMLP, data: DigitsData, epochs: int, seed: int = 0) -> Run:
    """Fit with d2l's Trainer (seeded), then take a last checkpoint; returns the model's Run."""
    torch.manual_seed(seed)
    model.run.batch_size = data.batch_size
    model.probe = (data.digits.x_test, data.digits.y_test)
    trainer = d2l.Trainer(max_epochs=epochs)
    trainer.fit(model, data)
    model.checkpoint(trainer.train_batch_idx)
    return model.run
