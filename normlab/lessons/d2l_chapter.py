"""BatchNorm from scratch as d2l's batch-normalization chapter builds it, in normlab's words and code.

The chapter's function picks training or prediction from `torch.is_grad_enabled()` (not from `module.training`),
averages the BIASED batch variance, and keeps gamma, beta and the moving statistics shaped (1, C) or (1, C, 1, 1).
Its moving-average formula depends on the edition:

- d2l-en up to v1.0.0-alpha0, and the Chinese edition d2l-zh (v2.0.0, current): momentum is the weight of the OLD
  value, `moving = momentum * moving + (1 - momentum) * batch`, with momentum = 0.9.
- d2l-en from v1.0.0-beta0 on (the change was made in August 2022; v1.0.3 is current): momentum is the weight of
  the NEW value, as in torch, `moving = (1 - momentum) * moving + momentum * batch`, with momentum = 0.1.

`EDITIONS` names both; notebooks 03 and 05 run both against torch.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["EDITIONS", "batch_norm", "BatchNorm"]

# edition -> (what momentum weighs, the momentum its BatchNorm module passes)
EDITIONS = {"d2l-zh 2.0 / d2l-en <= 1.0.0-alpha0": ("old", 0.9), "d2l-en >= 1.0.0-beta0": ("new", 0.1)}


def batch_norm(X: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, moving_mean: torch.Tensor,
               moving_var: torch.Tensor, eps: float, momentum: float,
               weighs: str = "old") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalize X; in training also return the updated moving averages (`weighs`: what momentum weighs)."""
    if not torch.is_grad_enabled():  # prediction mode: the moving averages, whatever module.training says
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        return gamma * X_hat + beta, moving_mean, moving_var
    assert X.dim() in (2, 4), "this from-scratch BatchNorm takes (N, C) or (N, C, H, W)"
    dims = (0,) if X.dim() == 2 else (0, 2, 3)  # per feature, or per channel over the batch and the pixels
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)  # the biased variance
    X_hat = (X - mean) / torch.sqrt(var + eps)
    old = momentum if weighs == "old" else 1.0 - momentum  # the weight of the moving value itself
    moving_mean = old * moving_mean + (1.0 - old) * mean
    moving_var = old * moving_var + (1.0 - old) * var
    return gamma * X_hat + beta, moving_mean.detach(), moving_var.detach()


class BatchNorm(nn.Module):
    """The chapter's module: gamma and beta are parameters; the moving statistics are plain attributes."""

    def __init__(self, num_features: int, num_dims: int, edition: str = "d2l-zh 2.0 / d2l-en <= 1.0.0-alpha0"):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.weighs, self.momentum = EDITIONS[edition]
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)  # plain tensors, not buffers: what that costs, see notebook 10
        self.moving_var = torch.ones(shape)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.moving_mean.device != X.device:  # the chapter's workaround: plain tensors do not follow .to(...)
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(X, self.gamma, self.beta, self.moving_mean,
                                                          self.moving_var, 1e-5, self.momentum, self.weighs)
        return Y
