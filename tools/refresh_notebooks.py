"""Maintainers only: re-execute notebooks in place to refresh their stored outputs (make refresh [NB=...]).

Each runs through tools/run_notebook.py, which leaves the reveal cells without output.

Refuses to start if any chosen notebook has uncommitted changes (or is untracked): a learner's or an author's
unsaved work is never overwritten. It names every such notebook and changes nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["uncommitted", "refresh"]


def uncommitted(paths: list[Path]) -> list[str]:
    """The paths git reports as modified, staged, untracked or unknown (all unsafe to overwrite)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--", *map(str, paths)],
                             check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(f"refresh: cannot ask git whether the notebooks have uncommitted changes ({exc}); nothing changed")
    return [line[3:] for line in out.splitlines()]


def refresh(paths: list[Path]) -> None:
    """Execute each notebook in place (execution counts 1..n), after checking none has uncommitted changes."""
    dirty = uncommitted(paths)
    if dirty:
        names = "\n  ".join(dirty)
        sys.exit(f"refresh: refusing, these notebooks have uncommitted changes (commit or copy them first):\n"
                 f"  {names}\nnothing was changed")
    for path in paths:
        print(f"refresh: executing {path}", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).with_name("run_notebook.py")), str(path)], check=True)


if __name__ == "__main__":
    chosen = [Path(p) for p in sys.argv[1:]] or sorted(Path("notebooks").glob("*.ipynb"))
    missing = [str(p) for p in chosen if not p.is_file()]
    if missing:
        sys.exit(f"refresh: no such notebook: {', '.join(missing)}")
    refresh(chosen)
