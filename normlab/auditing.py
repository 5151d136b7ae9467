"""Point normlab at a model: one forward pass with hooks, one row per normalization layer, and the traps it shows.

`audit(model, *example_inputs)` runs model(*example_inputs) once (no gradients; running statistics and modes put
back as they were) and returns an `AuditReport`: per layer its type, the input shape it saw, the dims it reduces
over, the values behind each mean and variance, its mode and whether its weight and bias are frozen. `.warnings`
names, with the fix, each trap of the course that one forward pass can reveal (normlab.auditrules; the report is
normlab.auditreport). In a notebook the report shows as an HTML table, in a terminal as text.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from normlab import frozen
from normlab import nn as nlnn
from normlab.auditreport import AuditReport, AuditRow
from normlab.auditrules import warnings_for
from normlab.families import reduces

__all__ = ["AuditRow", "AuditReport", "audit", "BATCH_KINDS"]

BATCH_KINDS = (nn.modules.batchnorm._BatchNorm, nlnn.BatchNorm1d, nlnn.BatchNorm2d, nlnn.SyncBatchNorm)
INSTANCE_KINDS = (nn.modules.instancenorm._InstanceNorm, nlnn.InstanceNorm1d, nlnn.InstanceNorm2d)
LAST_DIMS_KINDS = (nn.LayerNorm, nn.RMSNorm, nlnn.LayerNorm, nlnn.RMSNorm)
GROUP_KINDS = (nn.GroupNorm, nlnn.GroupNorm)
NORM_KINDS = (*BATCH_KINDS, *INSTANCE_KINDS, *LAST_DIMS_KINDS, *GROUP_KINDS, frozen.FrozenBatchNorm2d)
# Which layout a module's output has: features last (Linear, Embedding, LayerNorm), channels first (convolutions,
# BatchNorm), or that of its input (elementwise modules). Used only to tell (B, T, E) tokens from (N, C, L) maps.
FEATURES_LAST = (nn.Linear, nn.Embedding, *LAST_DIMS_KINDS)
CHANNELS_FIRST = (nn.modules.conv._ConvNd, *BATCH_KINDS, *INSTANCE_KINDS, *GROUP_KINDS)
ELEMENTWISE = (nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.Dropout, nn.Identity)
DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
# Layers whose statistics on (N, C, L) run over L, where a padded sequence's zeros end up.
OVER_LENGTH = (nn.BatchNorm1d, nn.InstanceNorm1d, nn.GroupNorm, nlnn.BatchNorm1d, nlnn.InstanceNorm1d, nlnn.GroupNorm)
FIT_VALUES = 16  # values per channel the input needs before its statistics are compared with the running ones


def _family(module: nn.Module) -> str:
    """The family in normlab.families whose reduction dims this module uses (RMSNorm's are LayerNorm's)."""
    if isinstance(module, (*BATCH_KINDS, frozen.FrozenBatchNorm2d)):
        return "BatchNorm"
    if isinstance(module, INSTANCE_KINDS):
        return "InstanceNorm"
    if isinstance(module, GROUP_KINDS):
        return "GroupNorm"
    return "LayerNorm"


def _reduces(module: nn.Module, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The reduction dims for this input and how many values each statistic covers."""
    family = _family(module)
    trailing = len(module.normalized_shape) if family == "LayerNorm" else 1  # LayerNorm's and RMSNorm's
    dims = reduces(family, len(shape), trailing)
    values = math.prod(shape[d] for d in dims)
    if family == "GroupNorm":  # each group holds C/G of the C channels it runs over
        values //= module.num_groups
    return dims, values


def _statistics(module: nn.Module) -> str:
    """'batch', 'running' or 'per sample': where this forward's mean and variance come from."""
    if isinstance(module, frozen.FrozenBatchNorm2d):
        return "running (frozen)"
    if isinstance(module, (*BATCH_KINDS, *INSTANCE_KINDS)):
        stored = getattr(module, "running_mean", None) is not None and not module.training
        return "running" if stored else ("batch" if isinstance(module, BATCH_KINDS) else "per sample")
    return "per sample"


class _Layouts:
    """Forward hooks on every module that remember, for each output tensor, whether its last dim holds features,
    and which Linear or convolution with a bias, or which Dropout, produced it."""

    def __init__(self) -> None:
        self.tags: dict[int, tuple[torch.Tensor, bool]] = {}  # id -> (the tensor, kept alive; features last?)
        self.biased: dict[int, tuple[torch.Tensor, str]] = {}  # id -> (the tensor, the biased layer's name)
        self.dropped: dict[int, tuple[torch.Tensor, str]] = {}  # id -> (the tensor, the Dropout's name)

    def producer(self, name: str) -> object:
        """A forward hook that records outputs of a Linear or convolution that adds a bias, and of a Dropout."""
        def hook(module: nn.Module, args: tuple, out: object) -> None:
            if not isinstance(out, torch.Tensor):
                return
            if isinstance(module, DROPOUTS):
                if module.p > 0:
                    self.dropped[id(out)] = (out, name)
                return
            per_channel = isinstance(module, nn.modules.conv._ConvNd) or out.dim() == 2  # its bias runs along dim 1
            if getattr(module, "bias", None) is not None and per_channel:
                self.biased[id(out)] = (out, name)
        return hook

    def bias_before(self, x: torch.Tensor) -> str | None:
        """The name of the biased Linear or convolution whose output x is, if any."""
        return self.biased[id(x)][1] if id(x) in self.biased else None

    def dropout_before(self, x: torch.Tensor) -> str | None:
        """The name of the Dropout whose output x is, if any."""
        return self.dropped[id(x)][1] if id(x) in self.dropped else None

    def hook(self, module: nn.Module, args: tuple, out: object) -> None:
        """Tag a 3-D output as features-last or channels-first, from the module that made it."""
        if not isinstance(out, torch.Tensor) or out.dim() != 3:  # only (B, T, E) vs (N, C, L) is ever asked
            return
        if isinstance(module, FEATURES_LAST) or isinstance(module, CHANNELS_FIRST):
            self.tags[id(out)] = (out, isinstance(module, FEATURES_LAST))
        elif isinstance(module, ELEMENTWISE) and args and id(args[0]) in self.tags:
            self.tags[id(out)] = (out, self.tags[id(args[0])][1])

    def features_last(self, x: torch.Tensor) -> bool | None:
        """True for tokens (B, T, E), False for (N, C, L) or tokens permuted to (B, E, T), None if unknown."""
        if id(x) in self.tags:
            return self.tags[id(x)][1]
        if x.dim() == 3 and x.stride(1) == 1 and x.shape[1] > 1:  # transposed from a features-last tensor
            return False
        return None


def _zero_positions(module: nn.Module, x: torch.Tensor) -> int:
    """For a BatchNorm1d, InstanceNorm1d or GroupNorm on (N, C, L): the positions 0 in every channel when they end
    their sequences, as padding does (at least 2 of them; the zeros a ReLU leaves are scattered)."""
    if not isinstance(module, OVER_LENGTH) or x.dim() != 3 or x.shape[1] < 2:
        return 0
    zero = (x == 0).all(dim=1)                                       # (N, L)
    suffix = zero.flip(1).int().cumprod(1).flip(1).bool()           # zero from here to the end of the sequence
    return int(zero.sum()) if torch.equal(zero, suffix) and zero.sum() >= 2 else 0


def _fit(module: nn.Module, x: torch.Tensor) -> tuple[float, float, bool] | None:
    """For a layer normalizing with running statistics: how far this input's channel means sit from running_mean (a
    median, in running standard deviations), its channel variances over running_var (a median), and whether the
    running statistics were never computed (still mean 0, var 1 after 0 batches)."""
    mean, var = getattr(module, "running_mean", None), getattr(module, "running_var", None)
    if mean is None or var is None or module.training or isinstance(module, INSTANCE_KINDS):
        return None
    xs = x.detach().double().transpose(0, 1).reshape(x.shape[1], -1)  # (C, everything else)
    shift = ratio = math.nan  # too few values per channel to judge the fit
    if xs.shape[1] >= FIT_VALUES:
        shift = ((xs.mean(1) - mean.double()).abs() / (var.double() + module.eps).sqrt()).median().item()
        ratio = (xs.var(1, unbiased=False) / (var.double() + module.eps)).median().item()
    tracked = getattr(module, "num_batches_tracked", None)
    untouched = (tracked is not None and int(tracked) == 0 and bool((mean == 0).all()) and bool((var == 1).all()))
    return shift, ratio, untouched


def _row(name: str, module: nn.Module, shape: tuple[int, ...], features_last: bool | None = None,
         after_bias: str | None = None, zero_positions: int = 0, after_dropout: str | None = None,
         fit: tuple[float, float, bool] | None = None) -> AuditRow:
    """One layer's row of the report from what its forward pre-hook recorded."""
    dims, values = _reduces(module, shape)
    statistics = _statistics(module)
    params = list(module.parameters(recurse=False))  # weight and bias, when the layer has them
    frozen_ = not any(p.requires_grad for p in params) if params else None
    per_group = shape[1] // module.num_groups if isinstance(module, GROUP_KINDS) else None
    return AuditRow(name or "(the model itself)", type(module).__name__, shape, dims,
                    0 if statistics.startswith("running") else values, "train" if module.training else "eval",
                    statistics, frozen_, per_group, features_last, after_bias, zero_positions, after_dropout, fit)


def audit(model: nn.Module, *example_inputs: object) -> AuditReport:
    """Run model(*example_inputs) once with hooks on every normalization layer; return the report."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"audit(model, *example_inputs): model must be a torch.nn.Module, got "
                        f"{type(model).__name__}.")
    if not example_inputs:
        raise ValueError("audit(model, *example_inputs): give the inputs the model is called with, e.g. "
                         "audit(model, torch.randn(8, 3, 32, 32)).")
    seen: list[tuple] = []  # per normalization layer that ran: _row's arguments
    layouts = _Layouts()

    def record(module: nn.Module, args: tuple, name: str) -> None:
        x = args[0]
        seen.append((name, module, tuple(x.shape), layouts.features_last(x), layouts.bias_before(x),
                     _zero_positions(module, x), layouts.dropout_before(x), _fit(module, x)))

    hooks = [m.register_forward_pre_hook(lambda m, args, name=name: record(m, args, name))
             for name, m in model.named_modules() if isinstance(m, NORM_KINDS)]
    hooks += [m.register_forward_hook(layouts.hook) for m in model.modules()]
    hooks += [m.register_forward_hook(layouts.producer(name)) for name, m in model.named_modules()
              if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd, *DROPOUTS))]
    try:
        with frozen.kept_as_is(model), torch.no_grad():  # a forward in train mode moves running stats
            model(*example_inputs)
    except Exception as err:
        raise ValueError(f"audit: the model did not run on the example inputs: {type(err).__name__}: {err}\n"
                         "  hint: pass what you would call the model with, audit(model, x) for model(x).") from err
    finally:
        for h in hooks:
            h.remove()
    rows = tuple(_row(*entry) for entry in seen)
    warnings = (w for entry, row in zip(seen, rows, strict=True) for w in warnings_for(row, entry[1]))
    return AuditReport(rows, tuple(warnings))
