"""The student edition (make student, tools/student_edition.py): no solution survives, nothing else is lost.

What counts as solution text is computed from the instructor's notebooks: every line of a collapsed solution's code
that no other cell of that notebook contains, in its source or output (lines such as `check.layer_norm_dims(answer)`
also appear in the attempt cell, which the learner keeps). tests/classroom/test_student_run.py runs the edition top
to bottom.
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
edition = tool("student_edition")


def _solution_lines(nb: nbformat.NotebookNode) -> set[str]:
    """The lines of the notebook's solution code found in no other cell, source or output."""
    others = "\n".join(c.source + json.dumps(c.get("outputs", []), ensure_ascii=False)
                       for c in nb.cells if not edition.is_solution(c))
    lines = {line.strip() for c in nb.cells if edition.is_solution(c) for block in CODE.findall(c.source)
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
    kept = [c for c in teacher.cells if not edition.is_solution(c)]
    assert len(student.cells) == len(kept) < len(teacher.cells)
    for mine, theirs in zip(student.cells, kept, strict=True):
        assert mine.cell_type == theirs.cell_type and mine.get("id") == theirs.get("id")
        if mine.cell_type == "code":  # the attempt cells and their checker calls, byte for byte
            assert mine.source == theirs.source
            reveal = "reveal" in mine.metadata.get("tags", [])
            assert mine.outputs == ([] if reveal else theirs.outputs), f"{name} cell {mine.get('id')}"
        elif theirs.source != mine.source:  # only the sentences about solutions differ
            assert any(old in theirs.source for old in edition.PROSE), f"{name} cell {mine.get('id')}"
    assert sum("check." in c.source for c in student.cells if c.cell_type == "code") == \
        sum("check." in c.source for c in kept if c.cell_type == "code")
