"""normlab.audit's report: a row per normalization layer (what it saw and does), the warnings, and the table as text
and as HTML."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

__all__ = ["AuditRow", "AuditReport"]


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
    zero_positions: int = 0  # on (N, C, L): samples or positions whose every channel is exactly 0 (padding?)
    after_dropout: str | None = None  # the Dropout whose output it normalizes
    fit: tuple[float, float, bool] | None = None  # running statistics: channel means' shift, variance ratio, unused?


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
