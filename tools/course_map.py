"""Maintainers: write the course map (normlab.course.map) into README.md and notebook 00, and the previous/next
line at the end of every notebook. Idempotent; the notebooks' outputs are untouched (markdown cells only)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from normlab.course.map import COURSE, NAV_MARK, nav, table

ROOT = Path(__file__).resolve().parents[1]
MAP_START, MAP_END = "<!-- course map -->", "<!-- end of course map -->"


def _with_map(text: str, where: str = "") -> str:
    """text with the block between the map markers replaced by the current table (links prefixed by where)."""
    block = f"{MAP_START}\n{table(where)}\n{MAP_END}"
    pattern = re.compile(re.escape(MAP_START) + ".*?" + re.escape(MAP_END), re.S)
    if not pattern.search(text):
        sys.exit(f"course_map: no '{MAP_START}' ... '{MAP_END}' block to fill")
    return pattern.sub(lambda _: block, text)


def main() -> None:
    """Fill the map in README.md and 00, and end each notebook with its navigation cell."""
    readme = ROOT / "README.md"
    readme.write_text(_with_map(readme.read_text(encoding="utf-8"), "notebooks/"), encoding="utf-8")
    for stop in COURSE:
        path = ROOT / "notebooks" / f"{stop.name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and MAP_START in cell.source:
                cell.source = _with_map(cell.source)
        last = nb.cells[-1]
        if last.cell_type == "markdown" and last.source.startswith(NAV_MARK):
            last.source = nav(stop.name)
        else:
            cell = nbformat.v4.new_markdown_cell(nav(stop.name))
            cell.metadata["slideshow"] = {"slide_type": "-"}
            nb.cells.append(cell)
        nbformat.write(nb, path)
    print(f"course map: README.md and {len(COURSE)} notebooks")


if __name__ == "__main__":
    main()
