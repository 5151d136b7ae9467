"""The shape every normlab widget shares: controls on top and one HTML output area, redrawn on every change."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as W

__all__ = ["NormlabWidget"]


class NormlabWidget:
    """Controls on top, the widget's own output area below; any control change re-renders synchronously."""

    name = "widget"

    def __init__(self, controls: dict[str, W.Widget]) -> None:
        self.controls = controls
        self.text = W.HTML().add_class("normlab-output-text")
        self.output = W.VBox([self.text]).add_class("normlab-output")
        self.ui = W.VBox([W.HBox(list(controls.values())), self.output]).add_class(f"normlab-{self.name}")
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.render()

    def compute(self) -> str:
        """Return the HTML (text and SVG pictures) for the current control values (subclasses override)."""
        raise NotImplementedError

    def _on_change(self, change: dict[str, Any]) -> None:
        self.render()

    def render(self) -> None:
        """Recompute and redraw; bad combinations become a plain message, never a traceback."""
        try:
            html = self.compute()
        except Exception as exc:  # noqa: BLE001 - a learner must see a message, not a traceback
            html = f"<p><b>{type(exc).__name__}</b>: {escape(str(exc))}</p>"
        self.text.value = html

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        return self.ui._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={getattr(c, 'value', None)!r}" for k, c in self.controls.items())
        return f"{type(self).__name__}({values})"
