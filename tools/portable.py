"""make test-portable: strict nbval of every notebook under each numeric path torch can take on a learner's CPU.

A stored output must not depend on the CPU, the thread count or the BLAS path. One machine can take several of
those paths by environment variables read when torch starts:
  ATEN_CPU_CAPABILITY  the vector ISA of torch's own kernels (default = none, avx2, avx512), up to what the CPU has
  DNNL_MAX_CPU_ISA     the same for oneDNN (convolutions, some matrix products)
  MKL_CBWR             MKL's "conditional bitwise reproducibility" branch (COMPATIBLE: the plain SSE2 code path)
  OMP_NUM_THREADS      how many threads split a reduction (1 and 2: sums split differently)
Each path runs `pytest --nbval` (strict: every compared output must equal the stored one) over notebooks/.

Usage: python tools/portable.py [--list] [PATH_NAME ...]   (no names: every path this CPU can take)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["PATHS", "cpu_flags", "available", "run"]

# name -> (environment, pytest workers, what it stands for). The two-thread path runs one worker: two workers with
# two threads each would oversubscribe a 2-core machine (the numbers would be the same, only slower).
PATHS: dict[str, tuple[dict[str, str], int, str]] = {
    "threads-1": ({"OMP_NUM_THREADS": "1"}, 2, "the best ISA of this CPU, one thread (as make test)"),
    "threads-2": ({"OMP_NUM_THREADS": "2"}, 1, "the best ISA of this CPU, two threads"),
    "isa-default": ({"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1"}, 2,
                    "torch's kernels without vector instructions (any x86-64 or ARM CPU)"),
    "isa-avx2": ({"ATEN_CPU_CAPABILITY": "avx2", "DNNL_MAX_CPU_ISA": "AVX2", "OMP_NUM_THREADS": "1"}, 2,
                 "an AVX2 CPU without AVX-512 (most laptops), torch and oneDNN"),
    "mkl-compatible": ({"MKL_CBWR": "COMPATIBLE", "OMP_NUM_THREADS": "1"}, 2,
                       "MKL's plain code path, as on a CPU MKL does not tune for"),
}
NEEDS = {"isa-avx2": "avx2"}  # a path that needs a CPU flag
# (avx512 needs no path of its own: on a CPU that has it, it is the best ISA, which threads-1 and threads-2 take)


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def available(flags: set[str]) -> list[str]:
    """The paths this CPU can take."""
    return [name for name in PATHS if NEEDS.get(name, "") in flags | {""}]


def run(name: str, timeout: int = 600) -> tuple[bool, float, str]:
    """Strict nbval of notebooks/ under one path: (passed, seconds, pytest's summary line)."""
    env, workers, _ = PATHS[name]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), "--dist", "loadfile",
           "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/sanitize.cfg", "notebooks"]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - start, f"timed out after {timeout} s"
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    summary = (proc.stdout.strip().splitlines() or ["no output"])[-1]
    return proc.returncode == 0, time.monotonic() - start, "\n    ".join([summary, *lines])


def main(argv: list[str]) -> int:
    """Run the chosen paths (default: every one this CPU has), print a line each, exit 1 if any failed."""
    can = available(cpu_flags())
    if "--list" in argv:
        for name, (env, _, what) in PATHS.items():
            mark = "" if name in can else "  (not on this CPU)"
            print(f"{name:15} {' '.join(f'{k}={v}' for k, v in env.items()):60} {what}{mark}")
        return 0
    names = argv or can
    unknown = [n for n in names if n not in PATHS]
    if unknown:
        print(f"test-portable: unknown path(s) {', '.join(unknown)}; `make test-portable-list` names them")
        return 2
    skipped = [n for n in names if n not in can]
    failed = []
    for name in names:
        if name in skipped:
            print(f"test-portable: {name:15} skipped: this CPU lacks {NEEDS[name]}", flush=True)
            continue
        ok, seconds, summary = run(name)
        print(f"test-portable: {name:15} {'passed' if ok else 'FAILED'} in {seconds:5.1f} s: {summary}", flush=True)
        if not ok:
            failed.append(name)
    print(f"test-portable: {len(names) - len(skipped) - len(failed)} path(s) passed, {len(failed)} failed"
          + (f" ({', '.join(failed)})" if failed else "") + (f", {len(skipped)} not on this CPU" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
