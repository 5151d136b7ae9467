"""normlab.audit's report: a row per normalization layer, the traps a row can show (one function per trap, in
teaching words with its fix), and the table as text and as HTML."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from torch import nn

__all__ = ["AuditRow", "AuditReport", "FEW_VALUES", "warnings_for"]


@dataclass(frozen=True)
class AuditRow:
    """What one normalization layer saw and does in this forward pass."""

    name: str
    kind: str
    input_shape: tuple[int, ...]
    reduces: tuple[int, ...]  # the input dims each mean and variance runs over
    values: int  # values behind each statistic this forward computes (0: it uses stored statistics)
    mode: str  # "train" or "eval"
    statistics: str  # where its mean and variance come from
    frozen: bool | None  # weight and bias do not require grad (None: it has no weight)
    per_group: int | None = None  # GroupNorm: channels of dim 1 in each group
    features_last: bool | None = None  # a 3-D input whose last dim looks like features (None: cannot tell)
    after_bias: str | None = None  # the Linear or convolution with a bias whose output it normalizes
    zero_positions: int = 0  # BatchNorm1d: samples or positions whose every channel is exactly 0 (padding?)


FEW_VALUES = 8  # fewer values than this behind a batch statistic: noisy; at 1 value (any norm) every output is 0


def _square_tokens(row: AuditRow, module: nn.Module) -> str | None:
    """BatchNorm1d on (B, T, E) with T == E: runs, and normalizes per token position over batch and features."""
    shape = row.input_shape
    if row.kind not in ("BatchNorm1d", "SyncBatchNorm") or len(shape) != 3 or shape[1] != shape[2]:
        return None
    if row.features_last is False:  # it comes from a convolution, or was permuted to (B, E, T): channels first
        return None
    return (f"{row.name}: {row.kind}({shape[1]}) on a 3-D input of shape {shape} normalizes dim 1 as its channels. "
            f"Dims 1 and 2 both have size {shape[1]}, so a (B, T, E) tensor with T == E runs without an error and "
            "is normalized per token position, over the batch and the features. If dim 2 holds the features, "
            "permute to (B, E, T) before the BatchNorm1d and back after it, or use LayerNorm(E).")


def _few_values(row: AuditRow, module: nn.Module) -> str | None:
    """A batch statistic from very few values, or any statistic from a single value (then every output is 0)."""
    if row.values == 0 or row.statistics.startswith("running"):
        return None
    if row.values != 1 and (row.values >= FEW_VALUES or row.statistics != "batch"):
        return None
    fix = ("use larger batches, a norm that does not depend on the batch (GroupNorm, LayerNorm), or eval() if it "
           "should use its running statistics" if row.statistics == "batch" else
           "normalize bigger groups (fewer groups in GroupNorm, or LayerNorm)")
    zeros = " With 1 value every output is 0." if row.values == 1 else ""
    return (f"{row.name}: {row.kind} computes each mean and variance from only {row.values} values (dims "
            f"{row.reduces} of {row.input_shape}): such statistics are noisy.{zeros} Fix: {fix}.")


def _channels_last_layer_norm(row: AuditRow, module: nn.Module) -> str | None:
    """LayerNorm(C) on (N, C, H, W) with W == C: it normalizes rows of pixels, not each pixel's channels."""
    shape = row.input_shape
    normalized = tuple(getattr(module, "normalized_shape", ()))
    if len(shape) != 4 or normalized != (shape[1],) or shape[-1] != shape[1] or row.kind != "LayerNorm":
        return None
    return (f"{row.name}: LayerNorm({shape[1]}) normalizes the last dim. On this (N, C, H, W) input of shape {shape} "
            f"that is W = {shape[-1]}, which happens to equal C = {shape[1]}: it runs, and normalizes each row of "
            "pixels instead of each pixel's channels. Fix: permute to (N, H, W, C) before it and back after, or use "
            "GroupNorm(1, C) to normalize over channels and pixels together.")


def _frozen_but_training(row: AuditRow, module: nn.Module) -> str | None:
    """Weight and bias frozen on a BatchNorm that is still in training mode."""
    if not row.frozen or row.mode != "train" or row.statistics != "batch":
        return None
    return (f"{row.name}: its weight and bias are frozen (requires_grad=False) but it is in training mode: it "
            "normalizes with each batch's statistics and its running statistics still move with every forward. "
            "Fix: call .eval() on it after every model.train(), or replace it by a FrozenBatchNorm2d "
            "(normlab.frozen.freeze_batchnorm).")


def _bias_before_batchnorm(row: AuditRow, module: nn.Module) -> str | None:
    """A Linear or convolution with a bias feeding a BatchNorm: the mean subtraction cancels the bias."""
    if row.after_bias is None or row.statistics != "batch":
        return None
    return (f"{row.name}: {row.kind} normalizes the output of layer '{row.after_bias}', which adds a bias. The "
            "BatchNorm subtracts each channel's mean, so that bias changes nothing, gets a zero gradient and never "
            "learns "
            f"(notebook 03). Fix: build '{row.after_bias}' with bias=False; the BatchNorm's own bias does the shift.")


def _momentum_of_the_old_value(row: AuditRow, module: nn.Module) -> str | None:
    """A BatchNorm momentum of 0.5 or more: torch weighs the NEW statistic by it (Keras and d2l-zh the old value)."""
    momentum = getattr(module, "momentum", None)
    if row.statistics not in ("batch", "running") or momentum is None or momentum < 0.5:
        return None
    return (f"{row.name}: momentum={momentum:g}. In torch momentum is the weight of the NEW batch statistic, so the "
            f"running statistics keep only {1 - momentum:.0%} of their value at each step and follow the last few "
            "batches (notebook 05). Keras and d2l-zh's momentum is the weight of the OLD value; if that is the "
            f"number you meant, pass momentum={1 - momentum:g}.")


def _padding(row: AuditRow, module: nn.Module) -> str | None:
    """A BatchNorm1d whose batch holds positions that are 0 in every channel: padding enters its statistics."""
    if not row.zero_positions or row.statistics != "batch":
        return None
    return (f"{row.name}: {row.zero_positions} of the samples or positions in its input {row.input_shape} are 0 in "
            "every channel, as padded tokens are. BatchNorm counts them in each channel's mean and variance (and its "
            "running statistics), so the real tokens' outputs depend on how much padding the batch has (notebook "
            "06). Fix: compute the statistics over the real tokens only (a mask), or use LayerNorm, which normalizes "
            "each token alone.")


RULES = (_square_tokens, _few_values, _channels_last_layer_norm, _frozen_but_training, _bias_before_batchnorm,
         _momentum_of_the_old_value, _padding)


def warnings_for(row: AuditRow, module: nn.Module) -> list[str]:
    """Every warning one layer's row deserves."""
    return [w for rule in RULES if (w := rule(row, module)) is not None]


@dataclass(frozen=True)
class AuditReport:
    """One row per normalization layer in the order they ran, and the warnings (empty when nothing is wrong)."""

    rows: tuple[AuditRow, ...]
    warnings: tuple[str, ...]

    def _table(self) -> list[list[str]]:
        head = ["layer", "type", "input shape", "reduces dims", "values per stat", "mode", "statistics", "frozen"]
        return [head] + [[r.name, r.kind, str(r.input_shape), str(r.reduces) + (
            f", {r.per_group} channels per group" if r.per_group else ""), str(r.values or "-"), r.mode,
                          r.statistics, "-" if r.frozen is None else str(r.frozen)] for r in self.rows]

    def __str__(self) -> str:
        if not self.rows:
            return "no normalization layer ran in this forward pass"
        table = self._table()
        widths = [max(len(row[k]) for row in table) for k in range(len(table[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
        lines += [""] + [f"warning: {w}" for w in self.warnings] if self.warnings else ["", "no warnings"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if not self.rows:
            return "<p>no normalization layer ran in this forward pass</p>"
        pad = "style='padding:0.15em 0.6em;text-align:left'"
        head, *body = self._table()
        rows = "".join("<tr>" + "".join(f"<td {pad}>{escape(c)}</td>" for c in row) + "</tr>" for row in body)
        warn = ("<ul>" + "".join(f"<li>⚠ {escape(w)}</li>" for w in self.warnings) + "</ul>" if self.warnings
                else "<p>✓ no warnings</p>")
        return (f"<table><tr>{''.join(f'<th {pad}>{escape(h)}</th>' for h in head)}</tr>{rows}</table>{warn}")
