"""What the exercise tests share: the verdicts a checker gives on typical wrong answers, and any that state the
expected value (../shared/EXERCISES.md counts that as giving the fix)."""

from __future__ import annotations

import torch

from normlab.check.exercise import Exercise, ReadOff, judge

__all__ = ["spellings", "stated_answers"]


def spellings(value: object) -> set[str]:
    """The ways a message could state value: the number as printed at 2-4 significant digits, the tuple, the word."""
    if isinstance(value, str):
        return {value.lower()}
    if isinstance(value, (tuple, list, torch.Size)):
        return {str(tuple(value)), ", ".join(map(str, value))} if len(value) > 1 else {str(tuple(value))}
    t = torch.as_tensor(value, dtype=torch.float64).flatten()
    if t.numel() > 4:  # a whole tensor: no message prints it; its shape is said openly (the attempt cell says it)
        return set()
    out = set()
    for v in t.tolist():
        if abs(v) in (0.0, 1.0):
            continue
        out |= {f"{v:.2f}", f"{v:.3g}", f"{v:.4g}", f"{v:g}"}
    return out


def stated_answers(name: str, exercise: Exercise | ReadOff) -> tuple[list[str], list[tuple[str, str]]]:
    """The verdicts on the exercise's typical wrong answers, and (verdict, spelling) pairs that state its answer."""
    if isinstance(exercise, ReadOff):
        right, others = exercise._values()
        verdicts = [str(exercise(value)) for value, _ in others.values()]
    else:
        outcomes, messages = exercise._outcomes(**exercise._data)
        right = next(o.value for o in outcomes if not o.mistakes)
        wrong = [o for o in outcomes if o.mistakes]
        verdicts = [str(judge(o.value, outcomes, name, messages)) for o in wrong]
    spelled = spellings(right)
    return verdicts, [(v, s) for v in verdicts for s in spelled if s in v.split(":", 1)[1].lower()]
