"""The student edition (make student): every notebook without its collapsed solutions, reveal outputs cleared.

Written to build/student/ by default; the instructor's notebooks/ are only read. The checker cells stay as they are
(their stored verdicts say "no answer yet"), every other cell and output is kept, and the three sentences that
point at the solutions are reworded for an edition that has none (PROSE; a sentence that no longer matches fails).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from run_notebook import REVEAL

__all__ = ["SOLUTION_PREFIX", "PROSE", "is_solution", "student_notebook", "write_edition"]

SOLUTION_PREFIX = "<details><summary>Solution"
# Instructor-edition sentence -> the student edition's. Each must be found in some notebook (write_edition checks).
PROSE = {
    "Try each one before you open its solution.": "Try each one, and run it again after every change.",
    "Print an exercise to read it; try it before opening the solution.": "Print an exercise to read it, then try it.",
    "each solution (collapsed) or reveal cell says where the\npoint is taught.":
        "each question's heading names the notebook\nthat teaches it.",
}


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """True for a collapsed solution: a markdown cell opening with `<details><summary>Solution`."""
    return cell.cell_type == "markdown" and cell.source.startswith(SOLUTION_PREFIX)


def student_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, set[str]]:
    """A copy of `nb` without solution cells, with reveal outputs cleared; also the PROSE sentences it reworded."""
    out = nbformat.from_dict(nb)
    out.cells = [cell for cell in out.cells if not is_solution(cell)]
    used = set()
    for cell in out.cells:
        if cell.cell_type == "code" and REVEAL in cell.metadata.get("tags", []):
            cell.outputs, cell.execution_count = [], None
        if cell.cell_type == "markdown":
            for old, new in PROSE.items():
                if old in cell.source:
                    cell.source, used = cell.source.replace(old, new), used | {old}
    return out, used


def write_edition(notebooks: Path, dest: Path) -> list[Path]:
    """Write the student edition of every notebook in `notebooks` to `dest` (emptied first); return the paths."""
    if dest.resolve() == notebooks.resolve():
        raise ValueError("student edition: the destination is the instructor's folder; choose another (build/student)")
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    written, used = [], set()
    for path in sorted(notebooks.glob("*.ipynb")):
        nb, reworded = student_notebook(nbformat.read(path, as_version=4))
        used |= reworded
        nbformat.write(nb, dest / path.name)
        written.append(dest / path.name)
    stale = set(PROSE) - used
    if stale:
        raise ValueError(f"student edition: these sentences of PROSE are in no notebook any more: {sorted(stale)}")
    return written


if __name__ == "__main__":
    src, out = (Path(a) for a in (sys.argv[1:3] if len(sys.argv) == 3 else ("notebooks", "build/student")))
    try:
        paths = write_edition(src, out)
    except ValueError as exc:
        sys.exit(str(exc))
    print(f"student edition: {len(paths)} notebooks in {out}/ (solutions removed, reveal outputs cleared)")
