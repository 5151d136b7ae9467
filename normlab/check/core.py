"""The checker engine: compare a learner's answer with the right one and with the outcomes of typical mistakes.

An exercise lists `Outcome`s — the right value (no mistakes) and the value each mistake (or combination)
produces — and `judge` returns a `Verdict` that displays as "✓ ..." or "✗ ..." naming the mistake it recognised.
`normalization_outcomes` and `running_outcomes` generate the usual BatchNorm mistakes: wrong dims, unbiased
variance, dividing by the variance, missing eps, and the d2l/Keras momentum convention used in torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

import torch

from normlab.errors import layout_of

__all__ = ["Outcome", "Verdict", "Exercise", "judge", "normalization_outcomes", "mean_outcomes", "running_outcomes",
           "MISTAKES"]

MISTAKES = {
    "unbiased": "you used the unbiased variance (x.var() divides by n - 1); normalization uses the biased one: "
                "x.var(dim, unbiased=False), i.e. correction=0",
    "variance": "you divided by the variance; divide by the standard deviation torch.sqrt(var + eps)",
    "no_eps": "you left out eps: divide by torch.sqrt(var + eps) with eps = {eps}",
    "d2l_momentum": "you used the d2l/Keras convention (momentum = weight of the OLD value) with torch's number: "
                    "torch computes running = (1 - momentum) * running + momentum * batch_stat",
    "biased_running_var": "the running variance is updated with the UNBIASED batch variance (n / (n - 1) times "
                          "the biased one), even though the output uses the biased one",
    "no_update": "you replaced the running value by the batch statistic; with momentum = {momentum} it moves only "
                 "part of the way: (1 - momentum) * running + momentum * batch_stat",
}


@dataclass(frozen=True)
class Outcome:
    """A value an answer may equal, and the mistakes that produce it (none for the right answer)."""

    value: Any
    mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ok, the mistakes recognised and a message shown as the cell's output."""

    ok: bool
    message: str
    mistakes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


def _same(answer: Any, value: Any, rtol: float, atol: float) -> bool:
    """Equal shapes and values (within tolerance); tuples and sizes compare exactly."""
    if isinstance(value, (tuple, list, torch.Size)) and not isinstance(answer, torch.Tensor):
        return isinstance(answer, (tuple, list, torch.Size)) and tuple(answer) == tuple(value)
    try:
        a, v = torch.as_tensor(answer, dtype=torch.float64), torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return False
    return a.shape == v.shape and bool(torch.allclose(a, v, rtol=rtol, atol=atol))


def _shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of a tensor-like answer, None for anything else."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def judge(answer: Any, outcomes: Sequence[Outcome], what: str, messages: dict[str, str] | None = None,
          rtol: float = 1e-4, atol: float = 1e-5) -> Verdict:
    """✓ if answer matches the right outcome; else name the mistakes of the simplest matching wrong outcome."""
    messages = messages or {}
    right = next(o.value for o in outcomes if not o.mistakes)
    if answer is None:
        want = (f"a tensor of shape {tuple(right.shape)}" if isinstance(right, torch.Tensor)
                else type(right).__name__ if isinstance(right, tuple) else "your answer")
        return Verdict(False, f"✗ {what}: no answer yet: replace None with {want}.", ("missing",))
    if isinstance(answer, torch.Tensor):
        answer = answer.detach()
    for outcome in sorted(outcomes, key=lambda o: len(o.mistakes)):
        if _same(answer, outcome.value, rtol, atol):
            if not outcome.mistakes:
                return Verdict(True, f"✓ {what}: correct.")
            said = "; and ".join(messages.get(m, MISTAKES.get(m, m)) for m in outcome.mistakes)
            return Verdict(False, f"✗ {what}: {said}.", outcome.mistakes)
    shape, want = _shape_of(answer), _shape_of(right)
    if want is not None and shape != want:
        return Verdict(False, f"✗ {what}: expected shape {want}, got {shape if shape else type(answer).__name__}.",
                       ("shape",))
    hint = ""
    if want is not None and shape == want:
        diff = (torch.as_tensor(answer, dtype=torch.float64) - right.double()).abs().max().item()
        hint = f" (max |answer - right| = {diff:.4g})"
    return Verdict(False, f"✗ {what}: not the expected value{hint}, and not a mistake I recognise. "
                   "Recompute it step by step.", ("unknown",))


def _dims_mistake(dims: tuple[int, ...], right: tuple[int, ...], layer: str, ndim: int) -> str:
    """'you reduced over dims (0,), BatchNorm1d on (N, C, L) reduces over (0, 2)'."""
    return f"you reduced over dims {dims}, {layer} on {layout_of(ndim)} reduces over {right}"


def normalization_outcomes(x: torch.Tensor, dims: Iterable[int], eps: float, layer: str,
                           weight: torch.Tensor | None = None,
                           bias: torch.Tensor | None = None) -> tuple[list[Outcome], dict[str, str]]:
    """Right and wrong versions of (x - mean) / sqrt(var + eps) over dims (then * weight + bias, per channel)."""
    right_dims, x = tuple(sorted(dims)), x.double()
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    outcomes, messages = [], {"no_eps": MISTAKES["no_eps"].format(eps=eps)}
    subsets = [c for k in range(1, x.dim() + 1) for c in combinations(range(x.dim()), k)]
    for d, unbiased, divide_var, no_eps in product(subsets, (False, True), (False, True), (False, True)):
        mean = x.mean(dim=d, keepdim=True)
        var = x.var(dim=d, keepdim=True, correction=int(unbiased)) + (0.0 if no_eps else eps)
        y = (x - mean) / (var if divide_var else var.sqrt())
        if weight is not None:
            y = y * weight.double().reshape(shape)
        if bias is not None:
            y = y + bias.double().reshape(shape)
        named = ((f"dims{d}", d != right_dims), ("unbiased", unbiased), ("variance", divide_var), ("no_eps", no_eps))
        mistakes = tuple(name for name, on in named if on)
        if d != right_dims:
            messages[f"dims{d}"] = _dims_mistake(d, right_dims, layer, x.dim())
        outcomes.append(Outcome(y, mistakes))
    return outcomes, messages


def running_outcomes(running: torch.Tensor, batch_stat: torch.Tensor, momentum: float, n: int | None = None,
                     ) -> tuple[list[Outcome], dict[str, str]]:
    """Right and wrong one-step updates of a running statistic (n given: batch_stat is a biased variance)."""
    running, batch_stat = running.double(), batch_stat.double()
    variants = [("", 1.0)] if n is None else [("", n / (n - 1)), ("biased_running_var", 1.0)]
    outcomes = []
    for (flag, factor), d2l in product(variants, (False, True)):
        new = batch_stat * factor
        value = momentum * running + (1 - momentum) * new if d2l else (1 - momentum) * running + momentum * new
        outcomes.append(Outcome(value, tuple(m for m in (flag, "d2l_momentum" if d2l else "") if m)))
        if not d2l:
            outcomes.append(Outcome(new, tuple(m for m in (flag, "no_update") if m)))
    return outcomes, {"no_update": MISTAKES["no_update"].format(momentum=momentum)}


def mean_outcomes(x: torch.Tensor, dims: Iterable[int], layer: str) -> tuple[list[Outcome], dict[str, str]]:
    """The per-channel mean over dims, and the means over every other choice of dims (or with kept dims)."""
    right_dims, x = tuple(sorted(dims)), x.double()
    outcomes, messages = [], {"keepdim": f"right values, but {layer}'s running_mean has shape "
                                         f"({x.shape[1]},): use keepdim=False (or .flatten())"}
    for k in range(1, x.dim() + 1):
        for d in combinations(range(x.dim()), k):
            wrong = () if d == right_dims else (f"dims{d}",)
            messages[f"dims{d}"] = _dims_mistake(d, right_dims, layer, x.dim())
            outcomes.append(Outcome(x.mean(dim=d), wrong))
            outcomes.append(Outcome(x.mean(dim=d, keepdim=True), (*wrong, "keepdim")))
    return outcomes, messages


class Exercise:
    """An exercise: a question, its data (read as attributes, fresh copies) and a checker for the answer."""

    def __init__(self, name: str, question: str, data: dict[str, Any],
                 outcomes: Callable[..., tuple[list[Outcome], dict[str, str]]]) -> None:
        self.name, self.question, self._data, self._outcomes = name, question, data, outcomes

    def __getattr__(self, key: str) -> Any:
        data = self.__dict__.get("_data", {})
        if key not in data:
            raise AttributeError(f"exercise {self.__dict__.get('name')!r} has no {key!r}; it gives: "
                                 f"{', '.join(data)}.")
        value = data[key]
        return value.clone() if isinstance(value, torch.Tensor) else value

    def __call__(self, answer: Any) -> Verdict:
        """Check an answer: ✓, or the mistake it recognises."""
        outcomes, messages = self._outcomes(**self._data)
        return judge(answer, outcomes, self.name, messages)

    def __repr__(self) -> str:
        return f"{self.name}: {self.question}"
