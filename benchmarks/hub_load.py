"""`make bench-hub [STUDENTS="1 5 10 20"]`: how many students one server holds, measured through a real hub.

For each class size N: a fresh hub (tools/hub_local.py), N students log in and pull the course, then all of them at
once run notebook 01 and then notebook 07 (Run All; each notebook in a fresh kernel, shut down after its run, so a
student has one kernel at a time). Reported: each student's Run All seconds (median, p95), every kernel's and
server's peak memory, as PSS (shared library pages split between the processes that map them, so the figures add
up) and as RSS (each process's whole resident set, what a container charged alone would hold), the machine's memory
in use at the peak, and the CPU seconds the sampling itself took.
Writes build/hub-load.json and prints a markdown table. A report, not a timed test.
"""

from __future__ import annotations

import contextlib
import json
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch

from benchmarks.timing import median, p95

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import hub_client  # noqa: E402 - tools/ is a folder of scripts, put on the path above
import hub_local  # noqa: E402

__all__ = ["NOTEBOOKS", "measure", "table", "main"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("01_batchnorm1d_2d_input.ipynb", "07_why_normalize.ipynb")
COURSE = hub_local.COURSE


class _Sampler(threading.Thread):
    """Every `every` seconds: the PSS and RSS of each kernel and server in the hub's tree, and the machine's memory."""

    def __init__(self, hub: hub_local.Hub, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.hub, self.every, self.halt = hub, every, threading.Event()
        self.peak: dict[int, tuple[str, float, float]] = {}  # pid -> (kind, peak PSS MB, peak RSS MB)
        self.used_mb, self.cpu_s = 0.0, 0.0

    def run(self) -> None:
        """Sample until halted; count the CPU seconds the sampling itself took (it shares the cores)."""
        while not self.halt.is_set():
            began = time.thread_time()
            for proc in self.hub.processes():
                try:
                    cmd = " ".join(proc.cmdline())
                    kind = "kernel" if "ipykernel" in cmd else "server" if "singleuser" in cmd else None
                    if kind:
                        info = proc.memory_full_info()
                        _, pss, rss = self.peak.get(proc.pid, (kind, 0.0, 0.0))
                        self.peak[proc.pid] = (kind, max(pss, info.pss / 2**20), max(rss, info.rss / 2**20))
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.used_mb = max(self.used_mb, _used_mb())
            self.cpu_s += time.thread_time() - began
            self.halt.wait(self.every)


def _used_mb() -> float:
    """The machine's memory in use (total minus available), MB."""
    memory = psutil.virtual_memory()
    return (memory.total - memory.available) / 2**20


def _cpu_name() -> str:
    """The CPU's model name (Linux), else the machine type."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def measure(n: int, tmp: Path) -> dict:
    """One class of n students on a fresh hub: their Run All times and the memory of their kernels and servers."""
    repo = hub_local.course_repo(ROOT / "notebooks", tmp / COURSE)
    idle_mb = _used_mb()
    hub = hub_local.start_hub(tmp / "state")
    try:
        students = [hub_client.Student(hub.url, f"student{i:02d}", timeout=600) for i in range(n)]
        for s in students:
            s.login(hub.password)
            s.start_server()
            s.pull(repo.as_uri(), COURSE)
        sampler, start = _Sampler(hub), threading.Barrier(n)
        times: dict[str, list[float]] = {nb: [] for nb in NOTEBOOKS}
        errors: list[str] = []

        def one(student: hub_client.Student) -> None:
            start.wait()
            for nb in NOTEBOOKS:
                run = student.run(f"{COURSE}/{nb}")
                times[nb].append(run.seconds)
                errors.extend(f"{student.name} {nb}: {c.error}" for c in run.cells if c.error)

        sampler.start()
        threads = [threading.Thread(target=one, args=(s,)) for s in students]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - began
        sampler.halt.set()
        sampler.join()
    finally:
        killed = hub.stop()
    def stats(kind: str, which: int) -> dict:
        values = [peak[which] for peak in sampler.peak.values() if peak[0] == kind]
        return {"median": median(values), "max": max(values), "count": len(values)}

    return {"students": n, "wall_s": wall, "errors": errors, "killed_at_stop": killed, "sampler_cpu_s": sampler.cpu_s,
            "run_all_s": {nb: {"median": median(ts), "p95": p95(ts), "max": max(ts)} for nb, ts in times.items()},
            "kernel_pss_mb": stats("kernel", 1), "server_pss_mb": stats("server", 1),
            "kernel_rss_mb": stats("kernel", 2), "server_rss_mb": stats("server", 2),
            "machine_used_mb": {"idle": idle_mb, "peak": sampler.used_mb}}


def table(results: list[dict]) -> str:
    """The measurement as a markdown table: one row per class size."""
    header = ("students at once", "01 Run All median / p95 s", "07 Run All median / p95 s",
              "kernel PSS median / max MB", "kernel RSS max MB", "server PSS / RSS median MB",
              "machine memory in use, rise over idle GB (per student)")
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        a, b = (r["run_all_s"][nb] for nb in NOTEBOOKS)
        k, m = r["kernel_pss_mb"], r["machine_used_mb"]
        rise = (m["peak"] - m["idle"]) / 1024
        rows.append(f"| {r['students']} | {a['median']:.1f} / {a['p95']:.1f} | {b['median']:.1f} / {b['p95']:.1f} | "
                    f"{k['median']:.0f} / {k['max']:.0f} | {r['kernel_rss_mb']['max']:.0f} | "
                    f"{r['server_pss_mb']['median']:.0f} / {r['server_rss_mb']['median']:.0f} | "
                    f"{rise:.1f} ({rise / r['students']:.2f}) |")
    return "\n".join(rows)


def main(sizes: list[int]) -> None:
    """Measure each class size in turn, print the table, write build/hub-load.json."""
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix=f"hub-load-{n}-") as tmp:
            print(f"hub load: {n} student(s) running {' and '.join(NOTEBOOKS)} at once ...", flush=True)
            results.append(measure(n, Path(tmp)))
            print(f"  done in {results[-1]['wall_s']:.0f} s; errors: {results[-1]['errors'] or 'none'}", flush=True)
    out = ROOT / "build" / "hub-load.json"
    out.parent.mkdir(exist_ok=True)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    out.write_text(json.dumps({"commit": commit, "date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
                               "python": platform.python_version(), "cpu": _cpu_name(),
                               "cpus": psutil.cpu_count(), "memory_gb": psutil.virtual_memory().total / 2**30,
                               "results": results}, indent=1))
    print(table(results), f"\nwritten: {out}", sep="\n")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 5, 10, 20])
