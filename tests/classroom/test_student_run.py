"""Every notebook of the student edition runs top to bottom as a student first opens it: no cell raises, and every
checker, given the learner's placeholders, says ✗ (there is no answer in the edition for it to accept).

The edition is written by tools/student_edition.py into a temporary folder; each notebook runs in a fresh kernel
(nbclient, the executor nbval and nbconvert use) in that folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.tooling import tool

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
edition = tool("student_edition")
CellRun = tool("hub_client").CellRun  # what a cell printed or returned, as text


@pytest.fixture(scope="session")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student edition, written once for the session."""
    dest = tmp_path_factory.mktemp("student")
    edition.write_edition(NOTEBOOKS, dest)
    return dest


CALL = re.compile(r"^check\.\w+\(", re.M)  # a checker called on the learner's answer (not `print(check.x)`)


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_the_student_notebook_runs_and_no_checker_passes_unanswered(student_dir: Path, name: str) -> None:
    nb = nbformat.read(student_dir / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(student_dir)}}
                   ).execute()  # raises CellExecutionError, naming the cell, if any cell fails
    checkers = [c for c in nb.cells if c.cell_type == "code" and CALL.search(c.source)]
    assert checkers, f"{name}: no exercise"
    verdicts = []
    for cell in checkers:  # each attempt cell gives a verdict, and none accepts the placeholder
        mine = [line for line in CellRun(outputs=cell.outputs).text.splitlines() if line.startswith(("✓", "✗"))]
        assert mine, f"{name} cell {cell.get('id')}: its checker printed no verdict"
        verdicts += mine
    passed = [v for v in verdicts if v.startswith("✓")]
    assert not passed, f"{name}: a checker accepted the placeholder: {passed}"
    assert any("no answer yet" in v or "still the original bug" in v for v in verdicts), verdicts
