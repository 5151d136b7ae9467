"""What every notebook's first cell does, and the small helpers notebooks share."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from normlab.pictures import style
from normlab.versions import untested_note, versions_line

__all__ = ["setup", "r4", "below", "median_ms"]


def setup(seed: int = 0) -> None:
    """Figure style, a seeded torch, short tensor printouts; print the versions (and a note on an untested torch)."""
    style.use()
    torch.manual_seed(seed)
    torch.set_printoptions(sci_mode=False)
    print(versions_line())
    note = untested_note()
    if note:
        print(note)


def r4(t: torch.Tensor) -> torch.Tensor:
    """t rounded to 4 decimals, for printing: the last digits of a sum can differ between 1 and 2 threads.

    Adding 0.0 turns -0.0 into 0.0, so a rounded zero always prints the same.
    """
    return t.detach().double().round(decimals=4).to(t.dtype) + 0.0


def below(value: float, limit: float = 1e-6) -> str:
    """Assert value < limit and say so ('< 1e-6'): float32 rounding noise printed as the bound it keeps, because its
    digits differ between CPUs, thread counts and BLAS paths."""
    assert value < limit, f"{value:.2g} is not below {limit:g}"
    mantissa, exponent = f"{limit:.0e}".split("e")
    return f"< {limit:g}" if limit >= 1e-3 else f"< {mantissa}e{int(exponent)}"


def median_ms(fn: Callable[[], object], repeats: int = 15) -> float:
    """Milliseconds of one call of fn: the median of `repeats` timed calls, after one untimed warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[len(times) // 2]
