"""The course as a package: the wheel holds the notebooks, `normlab course DIR` copies them and never overwrites."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from normlab.course.cli import copy_course, main, notebooks_dir

REPO = Path(__file__).resolve().parents[2]
# make test-matrix runs these tests beside the notebooks of an installed wheel, without the source tree
SOURCE_TREE = pytest.mark.skipif(not (REPO / "normlab").is_dir(), reason="needs the source tree, not a wheel")


def test_course_copies_every_notebook_then_keeps_the_learners_files(tmp_path, capsys):
    names = sorted(path.name for path in (REPO / "notebooks").glob("*.ipynb"))
    assert main(["course", str(tmp_path / "course")]) == 0
    assert f"{len(names)} notebook(s) copied, 0 already up to date" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "course").iterdir()) == names
    mine = tmp_path / "course" / names[1]
    mine.write_text("my answers")
    copied, same, kept = copy_course(tmp_path / "course")
    assert (copied, kept) == ([], [names[1]]) and len(same) == len(names) - 1
    assert mine.read_text() == "my answers"
    main(["course", str(tmp_path / "course")])
    out = capsys.readouterr().out
    assert "Kept 1 notebook(s) that differ" in out and names[1] in out and "jupyter lab" in out


def test_course_refuses_a_file_as_its_folder(tmp_path, capsys):
    (tmp_path / "x").write_text("")
    try:
        main(["course", str(tmp_path / "x")])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "is a file; give a folder" in capsys.readouterr().err


@SOURCE_TREE
def test_an_editable_install_reads_the_notebooks_in_place():
    assert notebooks_dir() == REPO / "notebooks"


@SOURCE_TREE
def test_the_wheel_carries_the_package_and_every_notebook_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(tmp_path), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("normlab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for notebook in (REPO / "notebooks").glob("*.ipynb"):
            assert archive.read(f"normlab/notebooks/{notebook.name}") == notebook.read_bytes()
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert {"normlab/__init__.py", "normlab/course/cli.py", "normlab/check/__init__.py"} <= names
    assert not any(name.startswith(("tests/", "notebooks/")) or "__pycache__" in name for name in names)
    assert "Requires-Python: <3.14,>=3.11" in metadata
    assert "Requires-Dist: torch<2.16,>=2.4" in metadata
