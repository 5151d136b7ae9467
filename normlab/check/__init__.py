"""Exercise checkers: call one with your answer to see ✓ or the mistake it recognises (see check.exercise).

Compute exercises take a value, predictions a number or a word; find-the-bug, derive and design tasks take the
learner's function. Every exercise a module here defines (and lists in its `__all__`) is found and exported below:
the list is never typed twice.

May import the library, normlab.lessons and normlab.pictures; nothing in normlab imports a checker (`make lint`).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import FunctionType

from normlab.check.exercise import Exercise, judge, prediction
from normlab.check.fieldguide import TRAPS
from normlab.check.functions import Case, FunctionExercise
from normlab.check.verdict import Outcome, Verdict


def _exercises() -> dict[str, object]:
    """Every exercise of the check modules by name: an object you call with an answer (not a function or class)."""
    found: dict[str, object] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type | FunctionType):
                found[name] = obj
    return found


EXERCISES = _exercises()
globals().update(EXERCISES)
__all__ = ["Exercise", "FunctionExercise", "Case", "Outcome", "Verdict", "judge", "prediction", "EXERCISES", "TRAPS",
           *EXERCISES]
