"""Execute a notebook in place as nbconvert does, then clear the outputs of its reveal cells (tag `reveal`).

A reveal cell answers a "predict, then run" question: it is committed without its output so the answer stays
unseen until the learner runs it (its asserts still run under nbval). Usage: python tools/run_notebook.py NB...
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

__all__ = ["REVEAL", "clear_reveals", "run"]

REVEAL = "reveal"


def clear_reveals(nb: nbformat.NotebookNode) -> int:
    """Empty the outputs of the reveal cells (they keep their execution count: they ran); return how many."""
    cells = [c for c in nb.cells if c.cell_type == "code" and REVEAL in c.get("metadata", {}).get("tags", [])]
    for cell in cells:
        cell.outputs = []
    return len(cells)


def run(path: Path, timeout: int = 600) -> None:
    """Execute path in its own directory, clear its reveal cells' outputs and write it back."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                   ).execute()
    n = clear_reveals(nb)
    nbformat.write(nb, path)
    print(f"{path}: executed; {n} reveal cell{'s' * (n != 1)} left without output", flush=True)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        run(Path(arg))
