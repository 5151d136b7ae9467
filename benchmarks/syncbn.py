"""SyncBatchNorm forward + backward over 2 real gloo processes (half the batch each) vs BatchNorm2d in one process.

Each process times its own steps (a barrier before each, so both start together); the slower process's median is the
step time. The reference is torch's BatchNorm2d on the whole batch in this process. A report row, with no target:
the gap is the price of two collectives per step on this machine.
"""

from __future__ import annotations

import torch
from torch import nn

from benchmarks.timing import median, seconds
from normlab.lessons import shards
from normlab.lessons.launch import launch

__all__ = ["run_sync"]


def _torch_ms(batch: int, channels: int, repeats: int) -> float:
    bn = nn.BatchNorm2d(channels)
    x = torch.randn(batch, channels, 8, 8, requires_grad=True)
    g = torch.randn_like(x)
    bn(x).backward(g)  # warm-up, as each process's first step is dropped
    return 1e3 * median([seconds(lambda: bn(x).backward(g)) for _ in range(repeats)])


def run_sync(batch: int = 64, channels: int = 32, repeats: int = 30) -> dict[str, float]:
    """{'normlab_ms', 'torch_ms', 'ratio'} for one training step of the layer on (batch, channels, 8, 8)."""
    per_process = launch(shards.time_sync, 2, batch, channels, repeats, timeout=120)
    sync_ms = 1e3 * max(median(t) for t in per_process)
    torch_ms = _torch_ms(batch, channels, repeats)
    return {"normlab_ms": sync_ms, "torch_ms": torch_ms, "ratio": sync_ms / torch_ms,
            "what": f"SyncBatchNorm over 2 processes (batch {batch // 2} each) vs BatchNorm2d on batch {batch}"}
