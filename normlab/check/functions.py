"""Checkers for answers that are functions: "find the bug" tasks and "write the backward" exercises.

A `FunctionExercise` calls the learner's function on several inputs and compares what it returns with a
reference implementation and with implementations of known mistakes. The function's result may be a tensor, a
bool, or a tuple of them (then each part has a name, e.g. dx, dgamma, dbeta). The original buggy function of a
find-the-bug task is one of the known mistakes: its message describes the symptom, not the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from normlab.check.verdict import Verdict

__all__ = ["Case", "FunctionExercise", "is_function"]


def is_function(obj: Any) -> bool:
    """True for a function the learner passed itself: not None, not a value, not a module it built by calling it."""
    return obj is not None and callable(obj) and not isinstance(obj, torch.nn.Module)


@dataclass(frozen=True)
class Case:
    """One call of the function under test: its arguments and how to describe them."""

    label: str
    args: tuple


def _result(fn: Callable, case: Case, harness: Callable | None = None) -> Any:
    """What fn returns on fresh copies of the case's arguments (through the harness, if any), or what it raises."""
    args = tuple(a.detach().clone() if isinstance(a, torch.Tensor) else a for a in case.args)
    try:
        out = harness(fn, args) if harness else fn(*args)
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything: that is an answer too
        return exc
    return tuple(out) if isinstance(out, list) else out


def _close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    """Same kind of result and equal values (exceptions: same type)."""
    if isinstance(a, Exception) or isinstance(b, Exception):
        return isinstance(a, Exception) and isinstance(b, Exception) and type(a) is type(b)
    if isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(
            _close(p, q, atol, rtol) for p, q in zip(a, b, strict=True))
    if isinstance(b, bool):
        scalar = isinstance(a, bool) or (isinstance(a, torch.Tensor) and a.numel() == 1)
        return scalar and bool(a) == b
    if isinstance(b, (int, float)):
        return isinstance(a, (int, float)) and not isinstance(a, bool) and abs(a - b) <= atol + rtol * abs(b)
    if not isinstance(a, torch.Tensor) or a.shape != b.shape:
        return False
    return bool(torch.allclose(a.detach().double(), b.double(), atol=atol, rtol=rtol))


class FunctionExercise:
    """Call the learner's function on each case; ✓ if it agrees with the reference, else name what it does."""

    def __init__(self, name: str, question: str, cases: Callable[[], Sequence[Case]], reference: Callable,
                 mistakes: dict[str, tuple[Callable, str]], parts: Sequence[str] = (), atol: float = 1e-6,
                 rtol: float = 1e-5, harness: Callable[[Callable, tuple], Any] | None = None) -> None:
        self.name, self.question, self._cases, self.reference = name, question, cases, reference
        self.mistakes, self.parts, self.atol, self.rtol = mistakes, tuple(parts), atol, rtol
        self.harness = harness  # how a function is called on a case's arguments (default: fn(*args))

    def __call__(self, fn: Any) -> Verdict:
        """✓, the known mistake fn reproduces on every case, or where and by how much it goes wrong."""
        if fn is None or not callable(fn):
            return Verdict.wrong(self.name, "pass your function itself (its name, without calling it).", ("missing",))
        cases = list(self._cases())
        got = [_result(fn, c, self.harness) for c in cases]
        if all(g is None or (isinstance(g, tuple) and all(p is None for p in g)) for g in got):
            return Verdict.wrong(self.name, "no answer yet: your function returns None; write its body.", ("missing",))
        want = [_result(self.reference, c, self.harness) for c in cases]
        if all(_close(g, w, self.atol, self.rtol) for g, w in zip(got, want, strict=True)):
            inputs = "the input" if len(cases) == 1 else f"all {len(cases)} inputs"
            return Verdict.right(self.name, f"correct on {inputs}.")
        for key, (wrong, message) in self.mistakes.items():
            if all(_close(g, _result(wrong, c, self.harness), self.atol, self.rtol)
                   for g, c in zip(got, cases, strict=True)):
                return Verdict.wrong(self.name, f"{message}.", (key,))
        return Verdict.wrong(self.name, self._first_difference(cases, got, want), ("unknown",))

    def _first_difference(self, cases: list[Case], got: list, want: list) -> str:
        """Where the first wrong result is, and what is wrong with it, part by part."""
        for case, g, w in zip(cases, got, want, strict=True):
            if _close(g, w, self.atol, self.rtol):
                continue
            if isinstance(g, Exception):
                return f"on {case.label} your function raised {type(g).__name__}: {str(g).splitlines()[0]}"
            gs = g if isinstance(g, tuple) else (g,)
            ws = w if isinstance(w, tuple) else (w,)
            parts = self.parts or tuple(f"result {k + 1}" for k in range(len(ws))) if len(ws) > 1 else ("the result",)
            if len(gs) != len(ws):
                got_n = "one value" if len(gs) == 1 else f"{len(gs)} values"
                return f"on {case.label} it returned {got_n}; return {len(ws)}: {', '.join(parts)}."
            said = [self._part(name, a, b) for name, a, b in zip(parts, gs, ws, strict=True)]
            return f"on {case.label}: " + "; ".join(said) + ". Not a mistake I recognise: check each step."
        return "not a mistake I recognise."

    def _part(self, name: str, a: Any, b: Any) -> str:
        """'dx is right', 'dgamma has shape (3, 1), expected (3,)' or 'dbeta is off by up to 0.12'."""
        verb = "are" if name.endswith("s") else "is"  # 'the predictions are off by ...'
        if _close(a, b, self.atol, self.rtol):
            return f"{name} {verb} right"
        if isinstance(b, bool):
            if isinstance(a, bool) or (isinstance(a, torch.Tensor) and a.numel() == 1):
                return f"{name} {verb} {bool(a)}, which is wrong"
            return f"{name} should be True or False, not a {type(a).__name__}"
        if isinstance(b, (int, float)):
            if not isinstance(a, (int, float)):
                return f"{name} is not a number"
            return f"{name} {verb} off by {abs(a - b):.3g}"
        if not isinstance(a, torch.Tensor):
            return f"{name} is a {type(a).__name__}, not a tensor"
        if a.shape != b.shape:
            return f"{name} has shape {tuple(a.shape)}, not the shape it should have"
        if a.is_floating_point() and a.isnan().any():
            return f"{name} has nan in {int(a.isnan().sum())} of its {a.numel()} entries: something divides by zero"
        return f"{name} {verb} off by up to {(a.detach().double() - b.double()).abs().max().item():.3g}"

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"
