"""Real data without a download: scikit-learn's handwritten digits (1,797 8 x 8 images shipped in its wheel).

`load_digits(scale)` gives a fixed, seeded split of 1,437 training and 360 test images as (N, 64) float tensors,
either scaled to [0, 1] (pixel / 16, as raw images come) or standardized per pixel with the training set's mean
and standard deviation. `DigitsData` hands the split to d2l's Trainer as a d2l DataModule; its batches are cut
from shuffled index tensors (a seeded generator), which is much cheaper than a DataLoader over single samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from normlab.lessons.d2l import import_d2l

__all__ = ["Digits", "load_digits", "Batches", "DigitsData"]

d2l = import_d2l()
N_TEST, SPLIT_SEED = 360, 0


@dataclass(frozen=True)
class Digits:
    """A fixed train/test split of the digits: images as (N, 64) floats, labels 0..9, and how they were scaled."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    scale: str

    def __repr__(self) -> str:
        return (f"Digits(train {tuple(self.x_train.shape)}, test {tuple(self.x_test.shape)}, scale={self.scale!r}, "
                f"pixel range [{self.x_train.min().item():.2f}, {self.x_train.max().item():.2f}])")


def load_digits(scale: str = "unit", dtype: torch.dtype = torch.float32) -> Digits:
    """The digits split (always the same); scale 'unit' = pixel / 16, 'standard' = per-pixel z-score on train."""
    from sklearn.datasets import load_digits as sklearn_digits  # the data ship inside the scikit-learn wheel

    if scale not in ("unit", "standard"):
        raise ValueError(f"scale={scale!r}: use 'unit' (pixels / 16, in [0, 1]) or 'standard' (mean 0, std 1 per "
                         "pixel, from the training images).")
    x, y = sklearn_digits(return_X_y=True)
    x, y = torch.tensor(x, dtype=torch.float64) / 16, torch.tensor(y)  # scaled in float64: the same bits on every CPU
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    train, test = order[N_TEST:], order[:N_TEST]
    x_train, x_test = x[train], x[test]
    if scale == "standard":
        mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-3)  # a few border pixels are always 0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return Digits(x_train.to(dtype), y[train], x_test.to(dtype), y[test], scale)


class Batches:
    """Shuffled mini-batches of (x, y), reshuffled on every pass; a fixed seed makes the order reproducible."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0,
                 drop_last: bool = False) -> None:
        self.x, self.y, self.batch_size, self.shuffle, self.drop_last = x, y, batch_size, shuffle, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        full, rest = divmod(len(self.x), self.batch_size)
        return full + (rest > 0 and not self.drop_last)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.x), generator=self.generator) if self.shuffle else torch.arange(len(self.x))
        for idx in order.split(self.batch_size)[: len(self)]:  # drop_last: a short last batch is left out
            yield self.x[idx], self.y[idx]


class DigitsData(d2l.DataModule):
    """The digits as a d2l DataModule: train_dataloader() shuffles, val_dataloader() is the test set in one batch."""

    def __init__(self, digits: Digits, batch_size: int = 60, seed: int = 0, drop_last: bool = False) -> None:
        super().__init__()
        self.digits, self.batch_size, self.seed, self.drop_last = digits, batch_size, seed, drop_last

    def get_dataloader(self, train: bool) -> Batches:
        d = self.digits
        if not train:
            return Batches(d.x_test, d.y_test, len(d.x_test), shuffle=False)
        # drop_last: a short last batch (one sample, say) would make BatchNorm refuse to train
        return Batches(d.x_train, d.y_train, self.batch_size, shuffle=True, seed=self.seed, drop_last=self.drop_last)
