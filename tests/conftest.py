"""Test-wide settings (a non-interactive matplotlib backend) and a closing line counting what ran, by kind."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")
# The property tests draw the same examples on every run and every machine, so CI cannot pass or fail by the luck of
# the draw; HYPOTHESIS_PROFILE=explore draws new ones each run (for hunting bugs, not for CI).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

UNIT = "unit tests"
KINDS = {"notebooks/": "nbval cells", "tests/browser/": "real-browser tests"}  # by where the test lives
OUTCOMES = ("passed", "failed", "error", "skipped")


def _kind(nodeid: str) -> str:
    """unit tests, nbval cells or real-browser tests, from where the test lives."""
    return next((kind for prefix, kind in KINDS.items() if nodeid.startswith(prefix)), UNIT)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per kind (unit, nbval, browser) with its outcomes, so a run shows that each kind really ran."""
    counts: dict[str, Counter] = {}
    notebooks = set()
    for outcome in OUTCOMES:
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid or (outcome == "passed" and report.when != "call"):
                continue
            counts.setdefault(_kind(nodeid), Counter())[outcome] += 1
            if nodeid.startswith("notebooks/"):
                notebooks.add(nodeid.split("::", 1)[0])
    if not counts:
        return
    terminalreporter.section("what ran", sep="-")
    n = len(notebooks)
    for kind in (UNIT, *KINDS.values()):
        c = counts.get(kind, Counter())
        where = f" in {n} notebook{'s' * (n != 1)}" if kind == KINDS["notebooks/"] else ""
        terminalreporter.write_line(f"{kind}{where}: " + ", ".join(f"{c[o]} {o}" for o in OUTCOMES))
