"""The exercises leave their answers unseen until the learner has tried (../shared/EXERCISES.md).

- A "predict, then run" question is followed by its reveal cell: tagged `reveal`, committed without output, and
  asserting what it shows (nbval runs it and its asserts; it cannot compare an output that is not stored).
- No cell before an exercise's attempt calls its checker on a value (no worked first attempt and its verdict).
- No verdict on a typical wrong answer contains the exercise's expected value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from verdicts import stated_answers

from normlab import check
from normlab.check.exercise import Exercise, ReadOff

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
CALL = re.compile(r"check\.(\w+)\(([^)\n]*)")
ATTEMPTS = {"answer", "prediction", "channels", "keys", "None", ""}  # what an attempt cell passes to its checker


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _predictions() -> list[tuple[str, int, list[dict]]]:
    return [(p.name, i, _cells(p)) for p in NOTEBOOKS for i, c in enumerate(_cells(p))
            if c["cell_type"] == "code" and re.search(r"check\.predict_\w+\(prediction\)", "".join(c["source"]))]


@pytest.mark.parametrize(("notebook", "index", "cells"), _predictions(), ids=lambda v: str(v)[:30])
def test_a_prediction_is_revealed_below_it_by_a_cell_committed_without_output(notebook, index, cells):
    reveal = next(c for c in cells[index + 1:] if c["cell_type"] == "code")
    source = "".join(reveal["source"])
    assert "reveal" in _tags(reveal), f"{notebook}: the code cell after cell {index} should be tagged 'reveal'"
    assert not reveal.get("outputs"), f"{notebook}: the reveal cell after cell {index} is committed with its output"
    assert re.search(r"^\s*assert ", source, re.M), f"{notebook}: the reveal after cell {index} asserts nothing"


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_every_reveal_cell_is_committed_without_output(notebook):
    shown = [i for i, c in enumerate(_cells(NOTEBOOKS[0].parent / notebook))
             if "reveal" in _tags(c) and (c.get("outputs") or "nbval-ignore-output" not in _tags(c))]
    assert not shown, f"{notebook}: reveal cells {shown} have an output or are compared by nbval"


@pytest.mark.parametrize("notebook", [p.name for p in NOTEBOOKS])
def test_no_checker_is_called_on_a_worked_attempt(notebook):
    """Checkers are called on the learner's answer (or, for find-the-bug, on the function the cell defines)."""
    worked = []
    for i, cell in enumerate(_cells(NOTEBOOKS[0].parent / notebook)):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        defined = set(re.findall(r"^def (\w+)", source, re.M))
        for name, arg in CALL.findall(source):
            if arg.strip() not in ATTEMPTS | defined:
                worked.append((i, name, arg))
    assert not worked, f"{notebook}: checkers called on a worked attempt (cell, exercise, argument): {worked}"


def _exercises() -> list[tuple[str, object]]:
    return [(name, getattr(check, name)) for name in check.__all__
            if isinstance(getattr(check, name), (Exercise, ReadOff))]


# predict_bn_largest_lr's outcomes are training runs: tests/check/test_why_exercises.py checks it, in the process that
# already holds those runs.
TRAINS = {"predict_bn_largest_lr"}


@pytest.mark.parametrize(("name", "exercise"), [(n, e) for n, e in _exercises() if n not in TRAINS],
                         ids=[n for n, _ in _exercises() if n not in TRAINS])
def test_no_verdict_on_a_wrong_answer_states_the_expected_value(name, exercise):
    verdicts, leaks = stated_answers(name, exercise)
    assert verdicts, f"{name}: no typical wrong answer to check"
    assert not leaks, f"{name}: verdicts state the expected value: {leaks[:3]}"
