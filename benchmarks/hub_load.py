"""`make bench-hub [STUDENTS="1 5 10 20"]`: how many students one server holds, measured through a real hub.

For each class size N: a fresh hub (tools/hub_local.py), N students log in and pull the course, then all of them at
once run notebook 01 and then notebook 07 (Run All, each in its own kernel, as JupyterLab does). Reported: each
student's Run All seconds (median, p95), every kernel's and server's peak memory (PSS: shared library pages split
between the processes that map them, so the figures add up), and the machine's memory in use at the peak.
Writes build/hub-load.json and prints a markdown table. A report, not a timed test.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks.timing import median, p95

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import hub_client  # noqa: E402 - tools/ is a folder of scripts, put on the path above
import hub_local  # noqa: E402

__all__ = ["NOTEBOOKS", "measure", "table", "main"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("01_batchnorm1d_2d_input.ipynb", "07_why_normalize.ipynb")
COURSE = hub_local.COURSE


class _Sampler(threading.Thread):
    """Every `every` seconds: the PSS of each kernel and server in the hub's tree, and the machine's memory in use."""

    def __init__(self, hub: hub_local.Hub, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.hub, self.every, self.halt = hub, every, threading.Event()
        self.peak: dict[int, tuple[str, float]] = {}  # pid -> (kind, peak MB)
        self.used_mb = 0.0

    def run(self) -> None:
        while not self.halt.is_set():
            for proc in self.hub.processes():
                try:
                    cmd = " ".join(proc.cmdline())
                    kind = "kernel" if "ipykernel" in cmd else "server" if "singleuser" in cmd else None
                    if kind:
                        mb = proc.memory_full_info().pss / 2**20
                        self.peak[proc.pid] = (kind, max(mb, self.peak.get(proc.pid, (kind, 0.0))[1]))
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.used_mb = max(self.used_mb, _used_mb())
            self.halt.wait(self.every)


def _used_mb() -> float:
    """The machine's memory in use (total minus available), MB."""
    memory = psutil.virtual_memory()
    return (memory.total - memory.available) / 2**20


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
    kernels = [mb for kind, mb in sampler.peak.values() if kind == "kernel"]
    servers = [mb for kind, mb in sampler.peak.values() if kind == "server"]
    return {"students": n, "wall_s": wall, "errors": errors, "killed_at_stop": killed,
            "run_all_s": {nb: {"median": median(ts), "p95": p95(ts), "max": max(ts)} for nb, ts in times.items()},
            "kernel_pss_mb": {"median": median(kernels), "max": max(kernels), "count": len(kernels)},
            "server_pss_mb": {"median": median(servers), "max": max(servers), "count": len(servers)},
            "machine_used_mb": {"idle": idle_mb, "peak": sampler.used_mb}}


def table(results: list[dict]) -> str:
    """The measurement as a markdown table: one row per class size."""
    rows = ["| students at once | 01 Run All median / p95 s | 07 Run All median / p95 s | kernel PSS median / max MB "
            "| server PSS median MB | machine memory in use, peak - idle GB (per student) |",
            "|---|---|---|---|---|---|"]
    for r in results:
        a, b = (r["run_all_s"][nb] for nb in NOTEBOOKS)
        k, s, m = r["kernel_pss_mb"], r["server_pss_mb"], r["machine_used_mb"]
        rows.append(f"| {r['students']} | {a['median']:.1f} / {a['p95']:.1f} | {b['median']:.1f} / {b['p95']:.1f} | "
                    f"{k['median']:.0f} / {k['max']:.0f} | {s['median']:.0f} | {(m['peak'] - m['idle']) / 1024:.1f} "
                    f"({(m['peak'] - m['idle']) / 1024 / r['students']:.2f}) |")
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
    out.write_text(json.dumps({"cpus": psutil.cpu_count(), "memory_gb": psutil.virtual_memory().total / 2**30,
                               "results": results}, indent=1))
    print(table(results), f"\nwritten: {out}", sep="\n")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 5, 10, 20])
