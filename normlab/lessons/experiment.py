"""The parts notebook 07's on-screen training loop is fed with: networks, noise, and what to measure at a checkpoint.

The loop itself lives in the notebook, where the learner reads and edits it. Here:
- `network(norm, act, ...)`: the 3 x 100 digits MLP once per seed in `SEEDS`, side by side (`normlab.lessons.seeds`):
  input (S, N, 64), output (S, N, 10); BatchNorm before or after the activation, optionally followed by
  `NoisyShift` (Santurkar et al.'s "noisy BatchNorm"), weights optionally scaled by a gain.
- `accuracy(net, digits)`: each seed's test accuracy in eval mode, the network left in the mode it was in.
- `Checkpoint(digits)`: a measurement for the loop (test accuracy and one unit's input percentiles), and `runs`,
  which packs a loop's results into one `Run` per seed for `normlab.lessons.why` and `normlab.pictures.whyplots`.
"""

from __future__ import annotations

import torch
from torch import nn

from normlab.lessons.digits import Digits
from normlab.lessons.seeds import DTYPE, SEEDS, SeedLinear, SeedNorm, SeedsMLP
from normlab.lessons.train import Run

__all__ = ["NoisyShift", "network", "accuracy", "Checkpoint", "runs"]


class NoisyShift(nn.Module):
    """In training, every unit times a random scale in [1, 1 + spread] plus a random shift in [-shift, shift], drawn
    afresh at every step (one draw per network and unit, shared by the batch); nothing in eval mode."""

    def __init__(self, shift: float, spread: float, seed: int = 0) -> None:
        super().__init__()
        self.shift, self.spread = shift, spread
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        s, _, c = x.shape  # (S, N, C)
        shift = (2 * torch.rand(s, 1, c, generator=self.generator, dtype=x.dtype) - 1) * self.shift
        scale = 1 + torch.rand(s, 1, c, generator=self.generator, dtype=x.dtype) * self.spread
        return x * scale + shift

    def extra_repr(self) -> str:
        return f"shift=±{self.shift:g}, scale=1..{1 + self.spread:g}, redrawn every step"


def network(norm: str = "batch", act: str = "relu", order: str = "before", noise: tuple[float, float] | None = None,
            gain: float = 1.0, seeds: tuple[int, ...] = SEEDS) -> nn.Sequential:
    """The digits MLP for every seed (member s starts as `torch.manual_seed(s); DigitsMLP(norm, act)`), float64.

    order="after" puts the norm after the activation; noise=(shift, spread) adds a NoisyShift after each norm."""
    if order not in ("before", "after"):
        raise ValueError(f"order={order!r}: the norm goes 'before' or 'after' the activation.")
    net = SeedsMLP(seeds, norm, act, depth=3, width=100, record_every=10**9, dtype=DTYPE).net
    for k, block in enumerate(net[:-1]):
        linear, *middle, activation = block  # middle: the norm, or nothing
        if noise is not None and middle:
            middle.append(NoisyShift(*noise, seed=k))
        net[k] = nn.Sequential(linear, *middle, activation) if order == "before" else \
            nn.Sequential(linear, activation, *middle)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, SeedLinear):
                m.weight.mul_(gain)
    return net


@torch.no_grad()
def accuracy(net: nn.Module, digits: Digits) -> torch.Tensor:
    """Each seed's accuracy on the test images in eval mode, shape (S,); the network goes back to its mode."""
    was_training = net.training
    net.eval()
    logits = net(digits.x_test.to(DTYPE).expand(len(SEEDS), -1, -1))  # (S, 360, 10)
    net.train(was_training)
    return (logits.argmax(-1) == digits.y_test).to(DTYPE).mean(1)


def _input_of_last_activation(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """The input of the last hidden block's activation for x, (S, N, 100), with the running statistics untouched."""
    saved = {k: v.clone() for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
    h = x
    with torch.no_grad():
        for block in net[:-2]:
            h = block(h)
        last = net[-2]
        act = next(k for k, m in enumerate(last) if not isinstance(m, (SeedLinear, SeedNorm, NoisyShift)))
        h = last[:act](h)
    net.load_state_dict(saved, strict=False)
    return h


class Checkpoint:
    """A measurement for the loop: each seed's test accuracy, and the 15th/50th/85th percentiles of unit 0's input to
    the last hidden activation on this step's batch (Ioffe & Szegedy's Figure 1)."""

    def __init__(self, digits: Digits) -> None:
        self.digits = digits

    def __call__(self, net: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        unit = _input_of_last_activation(net, x)[..., 0]  # (S, N)
        q = torch.quantile(unit, torch.tensor([0.15, 0.5, 0.85], dtype=unit.dtype), dim=1).T  # (S, 3)
        return accuracy(net, self.digits), q

    def __repr__(self) -> str:
        return "Checkpoint(test accuracy, percentiles of one unit's input)"


def runs(net: nn.Sequential, digits: Digits, norm: str, lr: float, batch_size: int, losses: torch.Tensor,
         log: list[tuple[torch.Tensor, torch.Tensor]], every: int) -> tuple[Run, ...]:
    """One Run per seed from the loop's losses (steps, S) and Checkpoints, plus a last test accuracy at the end."""
    final = accuracy(net, digits)
    out = []
    for s in range(losses.shape[1]):
        run = Run(norm, lr, batch_size, loss=losses[:, s].tolist())
        run.checkpoints = [k * every for k in range(len(log))] + [len(losses)]
        run.test_acc = [round(a[s].item(), 4) for a, _ in log] + [round(final[s].item(), 4)]
        run.percentiles = [tuple(round(v, 4) for v in q[s].tolist()) for _, q in log]
        out.append(run)
    return tuple(out)
