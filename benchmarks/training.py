"""One training step of notebook 07's digits network, with normlab's BatchNorm1d and with torch's, interleaved.

The network is lessons.train.DigitsMLP (64 -> 3 x (Linear(100), BatchNorm1d(100), sigmoid) -> 10) and the step is
the one d2l's Trainer takes in the notebook, for a batch of 60 images: `model.training_step(batch)` (forward,
cross-entropy, the loss recorded), `zero_grad`, backward, torch.optim.SGD's update. The ratio normlab / torch is
what a learner pays, per step, for training with the from-scratch layers (target: at most 1.5).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import torch

from benchmarks.timing import interleaved, median

__all__ = ["TARGET", "run_training_step"]

TARGET = 1.5


def _step(layers: str, batch: tuple[torch.Tensor, torch.Tensor]) -> Callable[[], None]:
    """A closure doing what d2l.Trainer.fit_epoch does for one batch, on a DigitsMLP with `layers`' BatchNorm."""
    from normlab.lessons.train import DigitsMLP  # brings d2l (its import is not part of a step)

    torch.manual_seed(0)
    model = DigitsMLP("batch", "sigmoid", lr=0.1, layers=layers, record_every=10**9).train()
    model.trainer = SimpleNamespace(train_batch_idx=1, epoch=0, num_train_batches=23)  # what training_step reads
    optim = model.configure_optimizers()

    def step() -> None:
        loss = model.training_step(batch)
        optim.zero_grad()
        with torch.no_grad():
            loss.backward()
            optim.step()
        model.run.loss.clear()  # keep the record from growing over thousands of timed steps

    return step


def run_training_step(repeats: int = 200, warmup: int = 20) -> dict[str, float]:
    """Median ms of a step with each library's BatchNorm1d and the median of the per-pair ratios."""
    gen = torch.Generator().manual_seed(0)
    batch = (torch.rand(60, 64, generator=gen), torch.randint(0, 10, (60,), generator=gen))
    t_ours, t_theirs = interleaved(_step("normlab", batch), _step("torch", batch), repeats, warmup)
    ratio = median([a / b for a, b in zip(t_ours, t_theirs, strict=True)])
    return {"normlab_ms": 1e3 * median(t_ours), "torch_ms": 1e3 * median(t_theirs), "ratio": ratio}
