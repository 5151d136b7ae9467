"""Small timing helpers shared by the benchmarks: a wall-clock stopwatch, median and 95th percentile."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["seconds", "interleaved", "wall_and_cpu", "median", "p95"]


def seconds(fn: Callable[[], object]) -> float:
    """Wall seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(ours: Callable[[], object], theirs: Callable[[], object], repeats: int,
                warmup: int) -> tuple[list[float], list[float]]:
    """Seconds per call of each, alternating which goes first so that drift hits both alike."""
    for _ in range(warmup):
        ours(), theirs()
    t_ours, t_theirs = [], []
    for i in range(repeats):
        pair = [(ours, t_ours), (theirs, t_theirs)]
        for fn, out in pair if i % 2 == 0 else pair[::-1]:
            out.append(seconds(fn))
    return t_ours, t_theirs


def wall_and_cpu(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and process CPU seconds of one call: CPU time shows how much of a slow wall time is other load."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def median(xs: list[float]) -> float:
    """The middle value (mean of the two middle ones for an even count)."""
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    """95th percentile by linear interpolation between the closest ranks (numpy's default)."""
    s = sorted(xs)
    pos = 0.95 * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)
