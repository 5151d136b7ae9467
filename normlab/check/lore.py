"""Exercises on what practitioners learn the hard way: a bias before BatchNorm (03), padded tokens (06)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from normlab.check.functions import Case, FunctionExercise, is_function
from normlab.check.verdict import Verdict

__all__ = ["padded_batch", "masked_reference", "conv_bn_block", "dead_parameters", "masked_batch_norm"]

def dead_parameters(block: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """The parameters whose gradient is zero on x in training mode: {name: how many entries}."""
    block.train()
    block.zero_grad()
    out = block(x)
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()  # a loss every output feeds
    grads = {name: (p.numel(), 0.0 if p.grad is None else p.grad.abs().max().item())
             for name, p in block.named_parameters()}
    largest = max((g for _, g in grads.values()), default=0.0)
    return {name: n for name, (n, g) in grads.items() if g <= 1e-5 * largest}  # zero up to float32 rounding


class _ConvBN:
    """Design: conv_bn(c_in, c_out) -> Conv2d 3x3 (padding 1), BatchNorm2d, ReLU, with no parameter training
    cannot move."""

    name = "conv_bn_block"
    question = ("Write conv_bn(c_in, c_out) returning nn.Sequential(Conv2d with a 3 x 3 kernel and padding=1, "
                "BatchNorm2d, ReLU), such that every parameter of the block can be changed by training.")

    def __call__(self, fn: Callable[[int, int], Any] | None) -> Verdict:
        """✓ or what is wrong with the block fn builds: its output shape, a missing layer, or dead parameters."""
        if not is_function(fn):
            return Verdict.wrong(self.name, "pass your function itself (its name, without calling it).", ("missing",))
        torch.manual_seed(0)
        try:
            block = fn(3, 8)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
            return Verdict.wrong(self.name, f"conv_bn(3, 8) raised {type(exc).__name__}: {str(exc).splitlines()[0]}",
                                 ("raised",))
        if block is None:
            return Verdict.wrong(self.name, "no answer yet: your function returns None; write its body.", ("missing",))
        if not isinstance(block, nn.Module):
            return Verdict.wrong(self.name, f"conv_bn(3, 8) returned a {type(block).__name__}, not a module.",
                                 ("type",))
        kinds = [type(m) for m in block.modules()]
        missing = [k.__name__ for k in (nn.Conv2d, nn.BatchNorm2d, nn.ReLU) if k not in kinds]
        if missing:
            return Verdict.wrong(self.name, f"your block has no {' and no '.join(missing)}.", ("layers",))
        conv = next(m for m in block.modules() if isinstance(m, nn.Conv2d))
        if tuple(conv.kernel_size) != (3, 3):
            return Verdict.wrong(self.name, f"your convolution's kernel is {conv.kernel_size[0]} x "
                                 f"{conv.kernel_size[1]}; the question asks for another", ("kernel",))
        order = [k for k in kinds if k in (nn.Conv2d, nn.BatchNorm2d, nn.ReLU)]
        if order != [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]:
            return Verdict.wrong(self.name, "your block runs " + ", ".join(k.__name__ for k in order) + " in that "
                                 "order; the question asks for another", ("order",))
        x = torch.randn(4, 3, 6, 6, generator=torch.Generator().manual_seed(1))
        try:
            out = block(x)
        except Exception as exc:  # noqa: BLE001 - the learner's block may raise anything
            return Verdict.wrong(self.name, f"on a (4, 3, 6, 6) batch your block raised {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0]}", ("raised",))
        if tuple(out.shape) != (4, 8, 6, 6):
            return Verdict.wrong(self.name, f"on a (4, 3, 6, 6) batch your block returns shape {tuple(out.shape)}.",
                                 ("shape",))
        dead = dead_parameters(block, x)
        total = sum(p.numel() for p in block.parameters())
        if dead:
            return Verdict.wrong(self.name, f"{sum(dead.values())} of your block's {total} parameters get a zero "
                                 "gradient on every batch: training can never change them.", ("dead",))
        bn = next(m for m in block.modules() if isinstance(m, nn.BatchNorm2d))
        if not bn.affine:
            return Verdict.wrong(self.name, "your BatchNorm2d has no weight or bias: after it, every channel is "
                                 "stuck at mean 0 and variance 1 before the ReLU.", ("no_affine",))
        return Verdict.right(self.name, f"correct: {total} parameters, every one of them trainable.")

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


conv_bn_block = _ConvBN()


def masked_reference(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """BatchNorm over the real tokens only (per feature E, biased variance), padded positions set to 0."""
    real = x[mask]  # (number of real tokens, E)
    mean, var = real.mean(0), real.var(0, correction=0)
    return (x - mean) / torch.sqrt(var + eps) * mask[..., None]


def _unmasked(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return F.batch_norm(x.transpose(1, 2), None, None, training=True).transpose(1, 2) * mask[..., None]


def padded_batch(lengths: tuple[int, ...], e: int, seed: int) -> Case:
    """Token embeddings (B, T, E) with mean 2, padded with zeros after each sentence's length, and its mask."""
    gen = torch.Generator().manual_seed(seed)
    t = max(lengths) + 2
    mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]  # (B, T): True for a real token
    x = (torch.randn(len(lengths), t, e, generator=gen) + 2) * mask[..., None]
    return Case(f"sentences of lengths {lengths}, padded to {t}", (x, mask))


masked_batch_norm = FunctionExercise(
    "masked_batch_norm",
    "Write masked_batch_norm(x, mask) for token embeddings x (B, T, E) padded with zeros, and mask (B, T), True "
    "at real tokens: BatchNorm1d(E)'s training output (gamma = 1, beta = 0, eps = 1e-5) as if the batch held "
    "only its real tokens, with 0 at the padded positions.",
    lambda: [padded_batch((5, 2), 3, 70), padded_batch((3, 3, 1), 4, 71)],
    masked_reference,
    {"unmasked": (_unmasked, "the real tokens' outputs depend on how many padded positions the batch has: each "
                             "feature's statistics include the zeros of the padding"),
     "unmasked_raw": (lambda x, mask: F.batch_norm(x.transpose(1, 2), None, None, training=True).transpose(1, 2),
                      "the padded positions of your output are not 0, and the real tokens' outputs depend on how "
                      "many padded positions the batch has"),
     "pads_not_zero": (lambda x, mask: (x - x[mask].mean(0)) / torch.sqrt(x[mask].var(0, correction=0) + 1e-5),
                       "the real tokens are right; the padded positions of your output are not 0"),
     "unbiased": (lambda x, mask: (x - x[mask].mean(0)) / torch.sqrt(x[mask].var(0) + 1e-5) * mask[..., None],
                  "close: over the real tokens, each feature of your output has variance (n - 1) / n, under 1"),
     "per_sentence": (lambda x, mask: torch.stack([masked_reference(x[b:b + 1], mask[b:b + 1])[0]
                                                   for b in range(len(x))]),
                      "each sentence's real tokens have mean 0 on their own: one group per sentence and feature")})
