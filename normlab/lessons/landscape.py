"""What normalization does to a network before and during training, measured rather than argued.

- `init_statistics`: a deep tanh MLP at initialization, with and without BatchNorm: every layer's activations
  (histogram, saturated fraction) and the gradient that reaches it (Karpathy's makemore part 3, on the digits).
- `smoothness`: Santurkar et al.'s measurements along training: step along the gradient, and record how much the
  loss varies and how much the gradient changes over that step (lower means a smoother, more predictable loss).
"""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from normlab.lessons.digits import load_digits
from normlab.lessons.seeds import DTYPE, SEEDS, SeedLinear, SeedsMLP, fit_seeds

__all__ = ["deep_tanh", "LayerStats", "init_statistics", "median_stats", "Smoothness", "Probe", "smoothness"]

SATURATED = 0.97  # |tanh| above this: the unit's gradient is below 1 - 0.97**2 = 6% of its maximum


@dataclass(frozen=True)
class LayerStats:
    """One hidden layer at initialization: its tanh outputs and the gradient of the loss with respect to them."""

    layer: int
    activation_std: float
    saturated: float  # fraction of |tanh| > SATURATED
    grad_std: float
    histogram: tuple[tuple[float, float], ...]  # (bin centre, density) of the activations in [-1, 1]


def deep_tanh(depth: int, width: int, norm: bool, gain: float) -> nn.Sequential:
    """Linear (weights times gain) [-> BatchNorm1d] -> tanh, depth times, then a 10-way Linear."""
    layers, d = [], 64
    for _ in range(depth):
        linear = nn.Linear(d, width)
        with torch.no_grad():
            linear.weight.mul_(gain)
        layers += [linear, *([nn.BatchNorm1d(width)] if norm else []), nn.Tanh()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, 10))


def init_statistics(norm: bool, gain: float = 1.0, depth: int = 8, width: int = 100, seed: int = 0,
                    bins: int = 40) -> list[LayerStats]:
    """Forward and backward the test images once through a fresh deep tanh MLP (train mode) and measure each layer.

    gain multiplies torch's default Linear init (uniform, std 1 / sqrt(3 * fan_in)); gain 3 makes it too large.
    """
    torch.manual_seed(seed)
    net = deep_tanh(depth, width, norm, gain).to(DTYPE)
    digits = load_digits("standard", DTYPE)
    outs: list[torch.Tensor] = []

    def keep(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        out.retain_grad()  # the gradient that reaches this layer's output
        outs.append(out)

    hooks = [m.register_forward_hook(keep) for m in net if isinstance(m, nn.Tanh)]
    F.cross_entropy(net(digits.x_test), digits.y_test).backward()
    for h in hooks:
        h.remove()
    stats = []
    for k, h in enumerate(outs):
        counts = torch.histc(h.detach(), bins=bins, min=-1, max=1)
        centres = torch.linspace(-1 + 1 / bins, 1 - 1 / bins, bins)
        density = counts / counts.sum() * bins / 2
        stats.append(LayerStats(k + 1, round(h.std().item(), 4), round((h.abs() > SATURATED).double().mean().item(), 4),
                                h.grad.std().item(), tuple(zip(centres.tolist(), density.tolist(), strict=True))))
    return stats


def median_stats(per_seed: list[list[LayerStats]]) -> list[LayerStats]:
    """Layer by layer, the median over seeds of each statistic (the histogram: the mean density of each bin)."""
    out = []
    for layers in zip(*per_seed, strict=True):
        median = {name: statistics.median(getattr(s, name) for s in layers)
                  for name in ("activation_std", "saturated", "grad_std")}
        bins = zip(*(s.histogram for s in layers), strict=True)
        histogram = tuple((b[0][0], statistics.fmean(d for _, d in b)) for b in bins)
        out.append(LayerStats(layers[0].layer, histogram=histogram, **median))
    return out


@dataclass
class Smoothness:
    """Along one seed's training: at each checkpoint, the loss range and the gradient change over a gradient step."""

    norm: str
    gain: float
    steps: list[int] = field(default_factory=list)
    loss_range: list[float] = field(default_factory=list)
    grad_change: list[float] = field(default_factory=list)
    beta: list[float] = field(default_factory=list)  # max |grad change| / |parameter change|: effective smoothness

    def summary(self) -> tuple[float, float, float]:
        """Medians over the checkpoints: loss range, gradient change, effective beta-smoothness."""
        return tuple(statistics.median(v) for v in (self.loss_range, self.grad_change, self.beta))


def _losses_and_grads(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each seed's loss (S,) and flattened gradient (S, P) at the current parameters, in train mode."""
    net.zero_grad()
    losses = F.cross_entropy(net(x).transpose(1, 2), y, reduction="none").mean(1)  # (S,)
    losses.sum().backward()  # seed s's parameters get the gradient of its own loss only
    s = len(losses)
    return losses.detach(), torch.cat([p.grad.reshape(s, -1) for p in net.parameters()], dim=1)


class Probe:
    """Santurkar et al.'s measurement, for the training loop: move a copy of each seed's network along its negative
    gradient by each eta and return, per seed, the loss range, the largest gradient change and the effective beta
    (largest gradient change / distance moved), shape (S, 3)."""

    def __init__(self, etas: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)) -> None:
        self.etas = etas

    def __call__(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        probe = copy.deepcopy(net).train()  # a copy: its forwards must not move the network's running statistics
        _, g = _losses_and_grads(probe, x, y)
        start = [(p.detach().clone(), p.grad.detach().clone()) for p in probe.parameters()]
        losses, changes, betas = [], [], []
        for eta in self.etas:
            with torch.no_grad():
                for p, (p0, g0) in zip(probe.parameters(), start, strict=True):
                    p.copy_(p0 - eta * g0)
            loss, g_eta = _losses_and_grads(probe, x, y)
            losses.append(loss)
            changes.append((g_eta - g).norm(dim=1))
            betas.append(changes[-1] / (eta * g.norm(dim=1) + 1e-12))
        losses, changes, betas = torch.stack(losses), torch.stack(changes), torch.stack(betas)  # (etas, S)
        return torch.stack([losses.max(0).values - losses.min(0).values, changes.max(0).values,
                            betas.max(0).values], dim=1)

    def __repr__(self) -> str:
        return f"Probe(etas={self.etas})"


def _probe_step(model: SeedsMLP, batch: tuple[torch.Tensor, torch.Tensor], probe: Probe, out: list[Smoothness],
                step: int) -> None:
    """Probe the seeds' networks at this step and append to each seed's record."""
    measured = probe(model.net, *batch)
    for k, record in enumerate(out):
        record.steps.append(step)
        record.loss_range.append(measured[k, 0].item())
        record.grad_change.append(measured[k, 1].item())
        record.beta.append(measured[k, 2].item())


def smoothness(norm: str, gain: float = 1.0, epochs: int = 2, lr: float = 0.5,
               etas: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0), every: int = 10,
               seeds: tuple[int, ...] = SEEDS) -> list[Smoothness]:
    """Train the 3-layer ReLU MLP for every seed (d2l Trainer, SGD at lr) and probe the loss along the gradient
    every `every` steps, at step sizes `etas` (half to four times the learning rate); one Smoothness per seed."""
    model = SeedsMLP(seeds, norm, "relu", depth=3, width=100, lr=lr, record_every=10**9, dtype=DTYPE)
    with torch.no_grad():
        for m in model.net.modules():
            if isinstance(m, SeedLinear):
                m.weight.mul_(gain)
    out = [Smoothness(norm, gain) for _ in seeds]
    probe = Probe(etas)
    model.callbacks.append(lambda m, batch, step: step % every == 0 and _probe_step(m, batch, probe, out, step))
    fit_seeds(model, load_digits("standard", DTYPE), 60, epochs)
    return out
