"""The student edition (make student, tools/student_edition.py): no solution survives, nothing else is lost.

What counts as solution text is computed from the instructor's notebooks (a solution is found here by its
`<details><summary>Solution` marker, not by the tool's own test): every line of a solution's code that no other cell
of that notebook contains, in its source or output (lines such as `check.layer_norm_dims(answer)` also appear in the
attempt cell, which the learner keeps). Whether the instructor's notebooks give an answer away before its attempt
cell is tests/course/test_exercises.py's business; tests/classroom/test_student_run.py runs the edition.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbformat
import pytest

from tests.tooling import tool

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CODE = re.compile(r"```python\n(.*?)```", re.S)
MARKER = re.compile(r"<details>\s*<summary>\s*Solution", re.I)
edition = tool("student_edition")


def _is_solution(cell: nbformat.NotebookNode) -> bool:
    """A collapsed solution, as a reader sees one: a markdown cell holding a <details> block titled Solution."""
    return cell.cell_type == "markdown" and bool(MARKER.search(cell.source))


def _solution_lines(nb: nbformat.NotebookNode) -> set[str]:
    """The lines of the notebook's solution code found in no other cell, source or output."""
    others = "\n".join(c.source + json.dumps(c.get("outputs", []), ensure_ascii=False)
                       for c in nb.cells if not _is_solution(c))
    lines = {line.strip() for c in nb.cells if _is_solution(c) for block in CODE.findall(c.source)
             for line in block.splitlines()}
    return {line for line in lines if line and line not in others}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The edition written to a temporary folder, and the instructor notebooks' hashes taken before."""
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS.glob("*.ipynb")}
    dest = tmp_path_factory.mktemp("student")
    edition.write_edition(NOTEBOOKS, dest)
    return dest, before


def test_every_notebook_is_written_and_the_instructors_edition_is_untouched(built: tuple[Path, dict]) -> None:
    dest, before = built
    assert sorted(p.name for p in dest.glob("*.ipynb")) == sorted(before)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS.glob("*.ipynb")}
    assert after == before


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_no_solution_text_survives(built: tuple[Path, dict], name: str) -> None:
    dest, _ = built
    teacher = nbformat.read(NOTEBOOKS / name, as_version=4)
    text = (dest / name).read_text()
    student = nbformat.reads(text, as_version=4)
    secret = _solution_lines(teacher)
    assert secret, f"{name}: the instructor's edition has no solution to remove"
    body = "\n".join(c.source for c in student.cells)
    outputs = json.dumps([c.get("outputs", []) for c in student.cells], ensure_ascii=False)
    leaked = sorted(line for line in secret if line in body or line in outputs)
    assert not leaked, f"{name}: solution lines left in the student edition: {leaked}"
    prose = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    assert not re.search(r"\bsolutions?\b", prose, re.I), f"{name}: the prose still points at a solution"


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_code_checkers_and_prose_are_kept_and_reveals_are_empty(built: tuple[Path, dict], name: str) -> None:
    dest, _ = built
    teacher = nbformat.read(NOTEBOOKS / name, as_version=4)
    student = nbformat.read(dest / name, as_version=4)
    kept = [c for c in teacher.cells if not _is_solution(c)]
    assert len(student.cells) == len(kept) < len(teacher.cells)
    for mine, theirs in zip(student.cells, kept, strict=True):
        assert mine.cell_type == theirs.cell_type and mine.get("id") == theirs.get("id")
        if mine.cell_type == "code":  # the attempt cells and their checker calls, byte for byte
            assert mine.source == theirs.source
            reveal = "reveal" in mine.metadata.get("tags", [])
            assert mine.outputs == ([] if reveal else theirs.outputs), f"{name} cell {mine.get('id')}"
        elif theirs.source != mine.source:  # only the sentences about solutions differ
            assert any(old in theirs.source for old in edition.PROSE), f"{name} cell {mine.get('id')}"


def test_a_reveal_with_an_output_is_cleared_and_a_solution_dropped() -> None:
    """On a made-up notebook (the committed ones store no reveal output, so they cannot show the clearing)."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Try each one before you open its solution."),
        nbformat.v4.new_code_cell("prediction = None\ncheck.predict_x(prediction)", execution_count=1,
                                  outputs=[nbformat.v4.new_output("stream", text="✗ no answer yet")]),
        nbformat.v4.new_code_cell("print(2 + 2)", execution_count=2, metadata={"tags": ["reveal"]},
                                  outputs=[nbformat.v4.new_output("stream", text="4")]),
        nbformat.v4.new_markdown_cell("<details><summary>Solution</summary>\n\n```python\nprediction = 4\n```\n"
                                      "</details>"),
    ])
    out, reworded = edition.student_notebook(nb)
    assert [c.cell_type for c in out.cells] == ["markdown", "code", "code"]
    assert out.cells[2].outputs == [] and out.cells[2].execution_count is None
    assert out.cells[1].outputs == nb.cells[1].outputs  # the checker's verdict stays
    assert "solution" not in out.cells[0].source and reworded == {"Try each one before you open its solution."}
    assert nb.cells[2].outputs and len(nb.cells) == 4  # the input notebook is not changed
