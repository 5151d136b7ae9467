"""Every notebook of the student edition runs top to bottom as a student first opens it: no cell raises, and every
checker, given the learner's placeholders, says ✗ (there is no answer in the edition for it to accept).

The edition is written by tools/student_edition.py into a temporary folder; each notebook runs in a fresh kernel
(nbclient, the executor nbval and nbconvert use) in that folder.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.tooling import tool

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
edition = tool("student_edition")


@pytest.fixture(scope="session")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("student")
    edition.write_edition(NOTEBOOKS, dest)
    return dest


def _text(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed or returned, as plain text."""
    return "".join(o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
                   for o in cell.outputs)


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_the_student_notebook_runs_and_no_checker_passes_unanswered(student_dir: Path, name: str) -> None:
    nb = nbformat.read(student_dir / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(student_dir)}}
                   ).execute()  # raises CellExecutionError, naming the cell, if any cell fails
    checkers = [c for c in nb.cells if c.cell_type == "code" and "check." in c.source]
    verdicts = [line for c in checkers for line in _text(c).splitlines() if line.startswith(("✓", "✗"))]
    assert verdicts, f"{name}: no checker verdict printed"
    passed = [v for v in verdicts if v.startswith("✓")]
    assert not passed, f"{name}: a checker accepted the placeholder: {passed}"
    assert any("no answer yet" in v or "still the original bug" in v for v in verdicts), verdicts
