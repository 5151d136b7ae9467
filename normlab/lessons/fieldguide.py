"""The scenarios of notebook 14's exercises: a keyword spotter on clips of different lengths, and a pretrained
classifier to fine-tune (a frozen backbone with a BatchNorm2d, a new head with a BatchNorm1d)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from normlab.frozen import recalibrate

__all__ = ["clips", "pad", "keyword_model", "Classifier", "pretrained_classifier", "fine_tune_data"]


def clips() -> list[torch.Tensor]:
    """Four clips of 4 features (C, L), 6 to 20 steps long."""
    gen = torch.Generator().manual_seed(14)
    return [torch.randn(4, n, generator=gen) * 2 + 1 for n in (9, 20, 6, 14)]  # (C, L) features per clip


def pad(clips: list[torch.Tensor]) -> torch.Tensor:
    """Clips (C, L_i) as one batch (N, C, max L_i): each clip followed by zeros up to the longest."""
    longest = max(c.shape[1] for c in clips)
    return torch.stack([F.pad(c, (0, longest - c.shape[1])) for c in clips])


def keyword_model() -> nn.Module:
    """A small 1-D convolutional keyword spotter with GroupNorms, in eval mode (the global random state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(14)
        return nn.Sequential(nn.Conv1d(4, 8, 3, padding=1, bias=False), nn.GroupNorm(2, 8), nn.ReLU(),
                             nn.Conv1d(8, 8, 3, padding=1, bias=False), nn.GroupNorm(2, 8), nn.ReLU(),
                             nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(8, 3)).eval()


class Classifier(nn.Module):
    """A pretrained backbone (convolution, BatchNorm2d, pooling) and a new head (Linear, BatchNorm1d, Linear)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(8, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class scores (N, 3) for images (N, 3, H, W)."""
        return self.head(self.backbone(images))


def pretrained_classifier() -> Classifier:
    """The classifier as loaded: the backbone's running statistics computed on its pretraining images (the global
    random state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(15)
        model = Classifier()
        recalibrate(model, [torch.randn(32, 3, 6, 6) for _ in range(4)])
    return model.eval()


def fine_tune_data() -> tuple[list, list]:
    """Training and validation batches (images, labels) of the new task: brighter, higher-contrast images."""
    gen = torch.Generator().manual_seed(16)
    def batch(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """n images (N, 3, 6, 6) and their labels (N,)."""
        return torch.randn(n, 3, 6, 6, generator=gen) * 3 + 2, torch.randint(0, 3, (n,), generator=gen)
    return [batch(16) for _ in range(6)], [batch(8) for _ in range(3)]
