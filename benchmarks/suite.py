"""Wall seconds of the nbval run over every notebook (as `make test` runs it) and seconds per notebook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["NBVAL_ARGS", "run_suite"]

NBVAL_ARGS = ["-n", "2", "--dist", "loadfile", "--nbval", "--nbval-current-env",
              "--nbval-sanitize-with", "tests/sanitize.cfg"]


def run_suite(root: Path, build: Path) -> tuple[float | None, dict[str, float], str]:
    """(suite_s, notebooks_s, pytest's summary line); suite_s is None when there is no notebook yet."""
    notebooks = sorted(str(p.relative_to(root)) for p in (root / "notebooks").glob("*.ipynb"))
    if not notebooks:
        return None, {}, "no notebooks yet"
    times = build / "nbval-times.json"
    times.unlink(missing_ok=True)
    env = {**os.environ, "NORMLAB_NBTIMES": str(times), "OMP_NUM_THREADS": "1"}  # as `make test` runs it
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "benchmarks.nbtimes", "-p", "no:cacheprovider",
           *NBVAL_ARGS, *notebooks]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    per_file = json.loads(times.read_text()) if times.exists() else {}
    return wall, {Path(k).name: v for k, v in per_file.items()}, lines[-1] if lines else proc.stderr[-300:]
