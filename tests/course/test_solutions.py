"""Every collapsed solution in the notebooks is right: run after the notebook's setup cell, its checker says ✓.

A solution is a markdown cell `<details><summary>Solution ...` holding one python block that ends with a checker
call (e.g. `check.batch_norm2d(answer)`). It only uses what the setup cell imports, so it runs on its own.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
BLOCK = re.compile(r"<details><summary>Solution.*?```python\n(.*?)```", re.S)


def _solutions() -> list[tuple[str, int, str, str]]:
    """(notebook, cell index, setup code, solution code) for every solution cell."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        setup = next(c.source for c in nb.cells if c.cell_type == "code")
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown" and cell.source.startswith("<details><summary>Solution"):
                match = BLOCK.search(cell.source)
                assert match, f"{path.name} cell {i}: a solution needs one ```python block"
                found.append((path.name, i, setup, match.group(1)))
    return found


SOLUTIONS = _solutions()


@pytest.mark.parametrize(("notebook", "cell", "setup", "source"), SOLUTIONS,
                         ids=[f"{nb}-cell{i}" for nb, i, _, _ in SOLUTIONS])
def test_solution_passes_its_checker(notebook: str, cell: int, setup: str, source: str) -> None:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(setup, f"{notebook} setup", "exec"), namespace)  # noqa: S102 - our own notebooks
        tree = ast.parse(source)
        last = tree.body.pop()
        assert isinstance(last, ast.Expr), f"{notebook} cell {cell}: a solution ends with its checker call"
        exec(compile(tree, f"{notebook} cell {cell}", "exec"), namespace)  # noqa: S102
        verdict = eval(compile(ast.Expression(last.value), f"{notebook} cell {cell}", "eval"), namespace)  # noqa: S307
    assert verdict, f"{notebook} cell {cell}: the solution does not pass its checker: {verdict}"
    assert str(verdict).startswith("✓")


RECAP = "13_cheat_sheet.ipynb"  # the closing quiz recalls the course; it asks no new question


def test_every_exercise_notebook_has_a_prediction_and_a_task_written_as_code() -> None:
    """Each notebook asks a predict-then-run question and a task the learner answers with a function they write
    (find the bug, design, derive), the kind that takes more than applying a formula."""
    for path in sorted(p for p in NOTEBOOKS.glob("*.ipynb") if p.name != RECAP):
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        assert re.search(r"check\.predict_\w+\(prediction\)", "\n".join(cells)), f"{path.name}: no prediction"
        written = [s for s in cells for name in re.findall(r"^def (\w+)", s, re.M)
                   if re.search(rf"check\.\w+\({name}\)", s)]
        assert written, f"{path.name}: no task answered with the learner's own function"
