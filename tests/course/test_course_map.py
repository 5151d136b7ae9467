"""The course map (normlab.course.map) is the one README and notebook 00 show, and every notebook ends with links
to its neighbours that point at real files (tools/course_map.py writes them)."""

import re
from pathlib import Path

import nbformat
import pytest

from normlab.course.map import COURSE, NAV_MARK, nav, table

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_map_lists_every_notebook_in_reading_order():
    assert [s.name + ".ipynb" for s in COURSE] == [p.name for p in NOTEBOOKS]


def test_readme_and_notebook_00_hold_the_current_map():
    first = nbformat.read(NOTEBOOKS[0], as_version=4)
    for where, text, prefix in (("README.md", (ROOT / "README.md").read_text(encoding="utf-8"), "notebooks/"),
                                (NOTEBOOKS[0].name, "\n".join(c.source for c in first.cells), "")):
        assert table(prefix) in text, f"{where}: run `python tools/course_map.py` to write the current map"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_ends_with_links_to_its_neighbours(path):
    last = nbformat.read(path, as_version=4).cells[-1]
    assert last.cell_type == "markdown" and last.source == nav(path.stem), "run `python tools/course_map.py`"
    for target in re.findall(r"\]\(([^)#]+)", last.source):
        assert (path.parent / target).is_file(), f"{path.name} links to a missing {target}"


def test_the_map_link_in_00_has_a_heading_to_land_on():
    cells = nbformat.read(NOTEBOOKS[0], as_version=4).cells
    assert any(c.cell_type == "markdown" and c.source.startswith("## Course map") for c in cells)
    assert NAV_MARK in nav(COURSE[1].name) and "#Course-map" in nav(COURSE[1].name)
