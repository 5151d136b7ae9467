"""Pre-LN and Post-LN transformer encoder stacks at initialization: gradient norms per layer and the residual scale.

`encoder(norm_first, layers)` builds torch's own `nn.TransformerEncoderLayer` stack (no dropout, seeded);
`layer_gradients` runs one token-classification loss backward and returns each layer's gradient norm of its
feed-forward output weight (Xiong et al. 2020 study the same weight); `residual_scale` measures the standard deviation
of the hidden states after every layer, which in a Pre-LN stack only the final LayerNorm brings back to 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["WIDTH", "HEADS", "TOKENS", "encoder", "example_batch", "layer_gradients", "residual_scale"]

WIDTH, HEADS, TOKENS, CLASSES = 32, 4, 16, 10  # E, attention heads, T, classes of the toy token labels


def encoder(norm_first: bool, layers: int = 12, final_norm: bool | None = None, seed: int = 0) -> nn.TransformerEncoder:
    """torch's encoder stack: Post-LN (norm_first=False) or Pre-LN; final_norm defaults to norm_first."""
    torch.manual_seed(seed)
    block = nn.TransformerEncoderLayer(WIDTH, HEADS, dim_feedforward=4 * WIDTH, dropout=0.0, batch_first=True,
                                       norm_first=norm_first)
    final = norm_first if final_norm is None else final_norm
    return nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(WIDTH) if final else None,
                                 enable_nested_tensor=False)


def example_batch(batch: int = 8, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Random token embeddings (B, T, E) and a random class for every token."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, TOKENS, WIDTH, generator=gen), torch.randint(0, CLASSES, (batch, TOKENS), generator=gen)


def layer_gradients(stack: nn.TransformerEncoder, x: torch.Tensor, labels: torch.Tensor, seed: int = 2) -> list[float]:
    """Per layer, the gradient norm of the feed-forward output weight (linear2) for a token-classification loss."""
    torch.manual_seed(seed)
    head = nn.Linear(WIDTH, CLASSES)
    stack.zero_grad()
    loss = F.cross_entropy(head(stack(x)).reshape(-1, CLASSES), labels.reshape(-1))
    loss.backward()
    return [layer.linear2.weight.grad.norm().item() for layer in stack.layers]


@torch.no_grad()
def residual_scale(stack: nn.TransformerEncoder, x: torch.Tensor) -> tuple[list[float], float]:
    """Std of the hidden states after each layer, and of the stack's output (after its final norm, if any)."""
    scales, h = [], x
    for layer in stack.layers:
        h = layer(h)
        scales.append(h.std().item())
    out = stack.norm(h) if stack.norm is not None else h
    return scales, out.std().item()
