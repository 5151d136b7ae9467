"""`normlab course DIR`: copy the notebooks into a folder of the learner's own, keeping every file already there."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from importlib import resources
from pathlib import Path

__all__ = ["notebooks_dir", "copy_course", "missing_for_course", "main"]

# What the notebooks import besides normlab's own dependencies (module name -> what to install).
COURSE_MODULES = {"jupyterlab": "jupyterlab", "ipykernel": "ipykernel", "sklearn": "scikit-learn",
                  "pandas": "pandas", "scipy": "scipy", "requests": "requests", "d2l": "d2l"}
D2L_LINE = "pip install --no-deps d2l==1.0.3"


def notebooks_dir() -> Path:
    """The course's notebooks: inside the installed wheel, or notebooks/ beside the package in a source clone."""
    packaged = Path(str(resources.files("normlab") / "notebooks"))
    if packaged.is_dir():
        return packaged
    clone = Path(__file__).resolve().parents[2] / "notebooks"  # normlab/course/cli.py -> the clone
    if clone.is_dir():
        return clone
    raise FileNotFoundError("normlab's notebooks are not in this installation; reinstall normlab from its wheel")


def copy_course(target: Path) -> tuple[list[str], list[str], list[str]]:
    """Copy every notebook into `target`; return (copied, same, kept) names. A file already there is never
    overwritten: `same` equals the course's copy, `kept` differs from it (the learner's work, or an older course)."""
    target.mkdir(parents=True, exist_ok=True)
    copied, same, kept = [], [], []
    for source in sorted(notebooks_dir().glob("*.ipynb")):
        destination = target / source.name
        if not destination.exists():
            shutil.copyfile(source, destination)
            copied.append(source.name)
        elif destination.read_bytes() == source.read_bytes():
            same.append(source.name)
        else:
            kept.append(source.name)
    return copied, same, kept


def missing_for_course() -> list[str]:
    """The packages the notebooks need that this environment lacks (pip names)."""
    return [pip_name for module, pip_name in COURSE_MODULES.items() if importlib.util.find_spec(module) is None]


def _report(target: Path, copied: list[str], same: list[str], kept: list[str]) -> str:
    """What happened, what is missing and how to start, as the learner reads it."""
    lines = [f"normlab course in {target}: {len(copied)} notebook(s) copied, {len(same)} already up to date."]
    if kept:
        lines.append(f"Kept {len(kept)} notebook(s) that differ from the course's (your work is never overwritten):")
        lines += [f"  {name}" for name in kept]
        lines.append("To get the course's version of one, rename or delete yours and run this command again.")
    missing = missing_for_course()
    others = [name for name in missing if name != "d2l"]
    if others:
        lines.append("The notebooks also need: pip install " + " ".join(others)
                     + "   (or: pip install 'normlab[course]')")
    if "d2l" in missing:
        lines.append(f"Notebooks 07 and 10 use d2l; install it without its 2023 pins: {D2L_LINE}")
    lines.append(f"Start: jupyter lab {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The `normlab` command: `normlab course DIR` copies the notebooks; `normlab versions` prints the stack."""
    parser = argparse.ArgumentParser(prog="normlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    course = commands.add_parser("course", help="copy the notebooks into DIR (never overwrites a file)")
    course.add_argument("directory", type=Path, help="a folder of your own, e.g. ~/normlab")
    commands.add_parser("versions", help="print the Python, torch and normlab this environment has")
    args = parser.parse_args(argv)
    if args.command == "versions":
        from normlab.versions import untested_note, versions_line

        print(versions_line())
        if (note := untested_note()) is not None:
            print(note)
        return 0
    target = args.directory.expanduser().resolve()
    if target.exists() and not target.is_dir():
        parser.error(f"{target} is a file; give a folder for the course, e.g. ~/normlab")
    print(_report(target, *copy_course(target)))
    return 0
