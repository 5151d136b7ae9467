"""The checker engine: compare a learner's answer with the right one and with the outcomes of typical mistakes.

An exercise lists `Outcome`s (the right value, with no mistakes, and the value each mistake or combination of
mistakes produces) and `judge` returns a `Verdict` that displays as "✓ ..." or "✗ ..." naming the mistake it
recognised. A message says what went wrong, never what the right value is. `normalization_outcomes`
(normlab.check.mistakes) generates the usual mistakes of normalizing by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from normlab.check.mistakes import MISTAKES
from normlab.check.verdict import Outcome, Verdict

__all__ = ["Outcome", "Verdict", "Exercise", "ReadOff", "judge", "same", "prediction"]


def same(answer: Any, value: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Equal shapes and values (within tolerance); tuples, sizes and words compare exactly."""
    if isinstance(value, str):
        return isinstance(answer, str) and answer.strip().lower() == value.lower()
    if isinstance(value, (tuple, list, torch.Size)) and not isinstance(answer, torch.Tensor):
        return isinstance(answer, (tuple, list, torch.Size)) and tuple(answer) == tuple(value)
    if isinstance(answer, (str, tuple, list)) and not isinstance(value, torch.Tensor):
        return False
    try:
        a, v = torch.as_tensor(answer, dtype=torch.float64), torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    return a.shape == v.shape and bool(torch.allclose(a, v, rtol=rtol, atol=atol))


def _shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of a tensor-like answer, None for anything else."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _missing(right: Any, what: str) -> Verdict:
    """No answer yet: say what kind of answer is wanted (never the answer itself)."""
    want = (f"a tensor of shape {tuple(right.shape)}" if isinstance(right, torch.Tensor) else
            "a tuple" if isinstance(right, tuple) else "a word in quotes" if isinstance(right, str) else
            "a number")
    return Verdict.wrong(what, f"no answer yet: replace None with {want}.", ("missing",))


def judge(answer: Any, outcomes: Sequence[Outcome], what: str, messages: dict[str, str] | None = None,
          rtol: float = 1e-4, atol: float = 1e-5) -> Verdict:
    """✓ if answer matches the right outcome; else name the mistakes of the simplest matching wrong outcome."""
    messages = {**MISTAKES, **(messages or {})}
    right = next(o.value for o in outcomes if not o.mistakes)
    if answer is None:
        return _missing(right, what)
    if isinstance(answer, torch.Tensor):
        answer = answer.detach()
    for outcome in sorted(outcomes, key=lambda o: len(o.mistakes)):
        if same(answer, outcome.value, rtol, atol):
            if not outcome.mistakes:
                return Verdict.right(what, "correct.")
            said = "; and ".join(messages.get(m, m) for m in outcome.mistakes)
            return Verdict.wrong(what, f"{said}.", outcome.mistakes)
    if isinstance(right, tuple) and isinstance(answer, int) and not isinstance(answer, bool):
        return Verdict.wrong(what, f"{messages['bare_int']}.", ("bare_int",))  # never whether the size is right
    shape, want = _shape_of(answer), _shape_of(right)
    if want is not None and shape != want:
        return Verdict.wrong(what, f"expected shape {want}, got {shape if shape else type(answer).__name__}.",
                             ("shape",))
    hint = ""
    if want is not None:
        diff = (torch.as_tensor(answer, dtype=torch.float64) - right.double()).abs().max().item()
        hint = f" (max |answer - right| = {diff:.4g})"
    unknown = messages.get("unknown", "not the expected value{hint}, and not a mistake I recognise. Recompute "
                           "it step by step").format(hint=hint)
    return Verdict.wrong(what, f"{unknown}.", ("unknown",))


class Exercise:
    """An exercise: a question, its data (read as attributes, fresh copies) and a checker for the answer."""

    def __init__(self, name: str, question: str, data: dict[str, Any],
                 outcomes: Callable[..., tuple[list[Outcome], dict[str, str]]], rtol: float = 1e-4) -> None:
        self.name, self.question, self._data, self._outcomes, self.rtol = name, question, data, outcomes, rtol

    def __getattr__(self, key: str) -> Any:
        data = self.__dict__.get("_data", {})
        if key not in data:
            raise AttributeError(f"exercise {self.__dict__.get('name')!r} has no {key!r}; it gives: "
                                 f"{', '.join(data) or 'no data'}.")
        value = data[key]
        return value.clone() if isinstance(value, torch.Tensor) else value

    def __call__(self, answer: Any) -> Verdict:
        """Check an answer: ✓, or the mistake it recognises."""
        outcomes, messages = self._outcomes(**self._data)
        return judge(answer, outcomes, self.name, messages, rtol=self.rtol)

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"


def prediction(name: str, question: str, right: Any, wrong: dict[Any, str], also_right: tuple = ()) -> Exercise:
    """A predict-then-run question: the right value (and others as good), and what each tempting wrong value means.

    A number predicted by hand may be rounded (10.67 for 32/3): it matches within 0.5%."""
    keys = {value: f"wrong{k}" for k, value in enumerate(wrong)}
    outcomes = [Outcome(right), *(Outcome(v) for v in also_right), *(Outcome(v, (keys[v],)) for v in wrong)]
    messages = {keys[v]: m for v, m in wrong.items()}
    messages["unknown"] = "not what happens, and not an answer I expected; read the question again"
    return Exercise(name, question, {}, lambda: (outcomes, messages), rtol=5e-3)


class ReadOff:
    """A number to read off a picture: right within `tolerance`; other values it is near are named."""

    def __init__(self, name: str, question: str, values: Callable[[], tuple[float, dict[str, tuple[float, str]]]],
                 tolerance: float) -> None:
        self.name, self.question, self._values, self.tolerance = name, question, values, tolerance

    def __call__(self, answer: Any) -> Verdict:
        """✓ within the tolerance of the value; the named neighbour it is close to; or 'look again'."""
        if answer is None:
            return Verdict.wrong(self.name, "no answer yet: replace None with a number.", ("missing",))
        if not isinstance(answer, (int, float)) or isinstance(answer, bool):
            return Verdict.wrong(self.name, "answer with a number.", ("type",))
        right, others = self._values()
        if abs(answer - right) <= self.tolerance:
            return Verdict.right(self.name, f"correct (within {self.tolerance:g}).")
        near = sorted((abs(answer - value) / (0.01 if abs(value) < 1 else 1), key, message)
                      for key, (value, message) in others.items())  # a fraction is read at a hundredth the scale
        if near and near[0][0] <= self.tolerance:
            return Verdict.wrong(self.name, f"{near[0][2]}.", (near[0][1],))
        return Verdict.wrong(self.name, "that is not what the picture shows; look at it again.", ("unknown",))

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"
