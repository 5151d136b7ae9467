"""Wall seconds of `make test` itself (lint, unit, nbval and browser tests), run as a learner or CI runs it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

__all__ = ["make_test_seconds"]


def make_test_seconds(root: Path, timeout: float = 900) -> tuple[float | None, str]:
    """(wall seconds, pytest's closing line) of one `make test`; (None, why) if it failed or timed out."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(["make", "test"], cwd=root, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "NORMLAB_REQUIRE_BROWSER": os.environ.get("NORMLAB_REQUIRE_BROWSER",
                                                                                          "0")})
    except subprocess.TimeoutExpired:
        return None, f"make test did not finish within {timeout:.0f} s"
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if " passed" in ln or " failed" in ln]
    summary = lines[-1].strip("= ") if lines else proc.stderr[-300:]
    return (wall if proc.returncode == 0 else None), summary
