"""Redraw latency of every NormlabWidget: time from a control's value change to the finished synchronous render."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import ipywidgets as W
from ipywidgets.widgets import widget_bool, widget_float, widget_int, widget_selection

from benchmarks.timing import median, p95, wall_and_cpu

__all__ = ["discover", "value_changes", "time_widget", "run_widgets"]


def discover() -> dict[str, type]:
    """Every NormlabWidget subclass that normlab.widgets exports, by class name (picks up new widgets as they land)."""
    import normlab.widgets as NW

    found = {}
    for name in NW.__all__:
        obj = getattr(NW, name)
        if isinstance(obj, type) and issubclass(obj, NW.NormlabWidget) and obj is not NW.NormlabWidget:
            found[obj.__name__] = obj
    return found


def _sweep(lo: float, hi: float, n: int = 8) -> list[float]:
    """n + 1 evenly spaced points from lo to hi, then back down: a slider dragged to and fro."""
    up = [lo + (hi - lo) * k / n for k in range(n + 1)]
    return up + up[-2:0:-1]


def value_changes(control: W.Widget) -> Iterator[Callable[[], None]] | None:
    """Endless setters, each moving the control to a new valid value; None for controls we cannot drive."""
    if isinstance(control, widget_selection._Selection):
        count = len(control.options)
        return None if count < 2 else (lambda: setattr(control, "index", (control.index + 1) % count)
                                       for _ in itertools.count())
    if isinstance(control, widget_bool._Bool):
        return (lambda: setattr(control, "value", not control.value) for _ in itertools.count())
    if isinstance(control, widget_float._BoundedLogFloat):
        points = [control.base ** e for e in _sweep(control.min, control.max)]
    elif isinstance(control, widget_int._BoundedInt):
        points = sorted({round(v) for v in _sweep(control.min, control.max)})
        points = points + points[-2:0:-1]
    elif isinstance(control, widget_float._BoundedFloat):
        points = _sweep(control.min, control.max)
    else:
        return None
    # Skip a point equal to the current value (checked when the setter is drawn): no change, no render.
    return None if len(set(points)) < 2 else (lambda v=v: setattr(control, "value", v)
                                              for v in itertools.cycle(points) if v != control.value)


class _Counting:
    """Wrap a widget's compute() to count its calls and those that raise (render turns them into a message)."""

    def __init__(self, compute: Callable) -> None:
        self.compute, self.calls, self.messages, self.last = compute, 0, 0, ""

    def __call__(self) -> object:
        self.calls += 1
        try:
            return self.compute()
        except Exception as exc:
            self.messages, self.last = self.messages + 1, f"{type(exc).__name__}: {exc}"
            raise


def time_widget(cls: type, changes: int = 40) -> dict[str, object]:
    """Build cls() with its defaults, warm each control once, then time `changes` round-robin value changes."""
    widget = cls()
    counter = _Counting(widget.compute)
    widget.compute = counter
    drivers = {k: it for k, c in widget.controls.items() if (it := value_changes(c)) is not None}
    if not drivers:
        raise ValueError(f"{cls.__name__} has no control the benchmark knows how to change")
    for it in drivers.values():
        next(it)()
    calls = counter.calls
    pairs = [wall_and_cpu(next(it)) for it in itertools.islice(itertools.cycle(drivers.values()), changes)]
    times, cpu = [1e3 * w for w, _ in pairs], [1e3 * c for _, c in pairs]
    return {"median": median(times), "p95": p95(times), "cpu_median": median(cpu), "cpu_p95": p95(cpu),
            "changes": changes, "renders": counter.calls - calls,
            "messages": counter.messages, "last_message": counter.last, "controls": sorted(drivers)}


def run_widgets(changes: int = 40) -> tuple[dict[str, dict[str, float]], dict[str, dict]]:
    """widget_ms for bench.json ({"median", "p95"} per widget) and the full details (or the failure) per widget."""
    ms, details = {}, {}
    for name, cls in discover().items():
        try:
            details[name] = time_widget(cls, changes)
        except Exception as exc:  # noqa: BLE001 - one broken widget must not hide the others' numbers
            details[name] = {"failed": f"{type(exc).__name__}: {exc}"}
            continue
        ms[name] = {"median": details[name]["median"], "p95": details[name]["p95"]}
    return ms, details
