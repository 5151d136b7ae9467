"""Exercises of notebook 04 (LayerNorm): per-token output, channels-only LayerNorm on NCHW, affine shape."""

from __future__ import annotations

import torch

from normlab.check.core import Exercise, Outcome, normalization_outcomes

__all__ = ["layernorm_tokens", "layernorm_channels", "layernorm_weight_shape", "dims_messages", "seeded"]


def dims_messages(messages: dict[str, str], layer: str, layout: str, right: tuple[int, ...]) -> dict[str, str]:
    """Reword the engine's 'you reduced over dims ...' messages in this layout's letters."""
    letters = [a.strip() for a in layout.strip("()").split(",")]

    def named(dims: tuple[int, ...]) -> str:
        return f"{dims} = {', '.join(letters[d] for d in dims)}"

    out = dict(messages)
    for key in messages:
        if key.startswith("dims("):
            dims = tuple(int(d) for d in key[5:-1].split(",") if d.strip())
            out[key] = f"you reduced over dims {named(dims)}; {layer} on {layout} reduces over {named(right)}"
    return out


def _outcomes(x: torch.Tensor, dims: tuple[int, ...], layer: str, layout: str):
    """Right and wrong normalizations of x over dims, with mistakes named in layout letters."""
    outcomes, messages = normalization_outcomes(x, dims, 1e-5, layer)
    return outcomes, dims_messages(messages, layer, layout, dims)


def _channels_outcomes(x: torch.Tensor):
    """Channels-only LayerNorm outcomes, plus the right values left in (N, H, W, C) order."""
    outcomes, messages = _outcomes(x, (1,), "a channels-only LayerNorm(C)", "(N, C, H, W)")
    right = next(o.value for o in outcomes if not o.mistakes)
    messages["not_back"] = ("right values, but still channels last (N, H, W, C): permute back with "
                            ".permute(0, 3, 1, 2)")
    return [*outcomes, Outcome(right.permute(0, 2, 3, 1), ("not_back",))], messages


def seeded(shape: tuple[int, ...], seed: int, quiet: tuple) -> torch.Tensor:
    """Seeded data (mean 1, std 2) whose group x[quiet] barely varies, so leaving out eps visibly changes it."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 2 + 1
    x[quiet] = 1 + 1e-3 * x[quiet]
    return x


layernorm_tokens = Exercise(
    "layernorm_tokens",
    "x has shape (B, T, E) = (2, 3, 4): 2 sentences of 3 tokens, each a 4-dim embedding. Compute by hand what "
    "nn.LayerNorm(4) returns (gamma = 1, beta = 0, eps = 1e-5).",
    {"x": seeded((2, 3, 4), 40, (0, 1))},
    lambda x: _outcomes(x, (2,), "LayerNorm(E)", "(B, T, E)"))

layernorm_channels = Exercise(
    "layernorm_channels",
    "x has shape (N, C, H, W) = (2, 3, 2, 2). Compute by hand a channels-only LayerNorm: for every sample and "
    "pixel, normalize the C = 3 channel values (what ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2) returns with "
    "ln = nn.LayerNorm(3)). Keep x's shape.",
    {"x": seeded((2, 3, 2, 2), 41, (0, slice(None), 0, 0))},
    lambda x: _channels_outcomes(x))

_SHAPE_MISTAKES = {
    "per_channel": "(C,) is BatchNorm2d's per-channel gamma; LayerNorm's elementwise affine has one value per "
                   "normalized element: shape normalized_shape = (C, H, W)",
    "with_batch": "gamma never has a batch dim: the same gamma serves every sample; drop N",
    "broadcast": "(1, C, H, W) is how it broadcasts against x, but the parameter itself has shape normalized_shape",
    "last_dim": "(W,) would be LayerNorm(W)'s gamma; here normalized_shape is (C, H, W)",
}

layernorm_weight_shape = Exercise(
    "layernorm_weight_shape",
    "x has shape (N, C, H, W) = (8, 16, 5, 5) and goes through nn.LayerNorm([16, 5, 5]). What is the shape of "
    "the layer's weight (gamma)? Answer with a tuple.",
    {"shape": (8, 16, 5, 5)},
    lambda shape: ([Outcome(tuple(shape[1:])), Outcome((shape[1],), ("per_channel",)),
                    Outcome(tuple(shape), ("with_batch",)), Outcome((1, *shape[1:]), ("broadcast",)),
                    Outcome((shape[-1],), ("last_dim",))], _SHAPE_MISTAKES))
