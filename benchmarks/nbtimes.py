"""pytest plugin (-p benchmarks.nbtimes): sum setup + call + teardown seconds per file into $NORMLAB_NBTIMES."""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest

__all__ = ["pytest_runtest_logreport", "pytest_sessionfinish"]

_seconds: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Reports reach the controller under xdist too, so per-file sums work with -n 2."""
    _seconds[report.nodeid.split("::")[0]] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the per-file sums once, from the controller (xdist workers have `workerinput`)."""
    path = os.environ.get("NORMLAB_NBTIMES")
    if path and not hasattr(session.config, "workerinput"):
        with open(path, "w") as f:
            json.dump(dict(_seconds), f, indent=1, sort_keys=True)
