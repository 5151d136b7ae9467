"""`make bench`: run every benchmark, print a table and write build/bench.json (+ details beside it)."""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch

from benchmarks.imports import import_seconds
from benchmarks.kernels import run_ratios
from benchmarks.suite import run_suite
from benchmarks.syncbn import run_sync
from benchmarks.testrun import make_test_seconds
from benchmarks.training import TARGET as STEP_TARGET
from benchmarks.training import run_training_step
from benchmarks.widgets import run_widgets

__all__ = ["TARGETS", "main", "table"]

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"fwd": 2.0, "fwd_bwd": 3.0, "widget_median": 50.0, "widget_p95": 100.0, "suite_s": 90.0,
           "make_test_s": 180.0}


def _met(value: float | None, limit: float) -> str:
    return "-" if value is None else ("yes" if value <= limit else "NO")


def table(result: dict, details: dict) -> str:
    """The report as markdown tables, each value beside its target."""
    rows = ["| kernel (float32, training) | normlab ms | torch ms | ratio | target | met |",
            "|---|---|---|---|---|---|"]
    for name, d in details["kernels"].items():
        if name.startswith(("readable_", "sync_")):  # readability's and communication's price: reported, no target
            rows.append(f"| {name} | {d['normlab_ms']:.2f} | {d['torch_ms']:.2f} | {d['ratio']:.2f} | report | - |")
            continue
        limit = STEP_TARGET if name == "digits_train_step" else TARGETS["fwd_bwd" if name.endswith("_fwd_bwd")
                                                                        else "fwd"]
        rows.append(f"| {name} | {d['normlab_ms']:.2f} | {d['torch_ms']:.2f} | {d['ratio']:.2f} | <= {limit} "
                    f"| {_met(d['ratio'], limit)} |")
    rows += ["", "| widget (value change -> redraw) | median ms | p95 ms | CPU median / p95 ms | renders | messages "
             "| met |", "|---|---|---|---|---|---|---|"]
    for name, d in details["widgets"].items():
        if "failed" in d:
            rows.append(f"| {name} | - | - | - | - | {d['failed']} | NO |")
            continue
        met = "yes" if d["median"] <= TARGETS["widget_median"] and d["p95"] <= TARGETS["widget_p95"] else "NO"
        rows.append(f"| {name} | {d['median']:.1f} | {d['p95']:.1f} | {d['cpu_median']:.1f} / {d['cpu_p95']:.1f} "
                    f"| {d['renders']}/{d['changes']} "
                    f"| {d['messages']} | {met} |")
    suite = result["suite_s"]
    rows += ["", "| run | seconds | target | met |", "|---|---|---|---|",
             f"| nbval suite ({details['suite']}) | {'-' if suite is None else f'{suite:.1f}'} "
             f"| <= {TARGETS['suite_s']:.0f} | {_met(suite, TARGETS['suite_s'])} |"]
    rows += [f"| {nb} | {s:.1f} | | |" for nb, s in result["notebooks_s"].items()]
    make_test = result["make_test_s"]
    rows.append(f"| make test ({details['make_test']}) | {'-' if make_test is None else f'{make_test:.1f}'} "
                f"| <= {TARGETS['make_test_s']:.0f} | {_met(make_test, TARGETS['make_test_s'])} |")
    rows += [f"| import {stage} (after the stages above) | {s:.3f} | | |" for stage, s in details["imports"].items()]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and write build/bench.json with exactly the keys the issue names."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=21, help="interleaved repeats per kernel case")
    parser.add_argument("--changes", type=int, default=40, help="timed control changes per widget (>= 30)")
    parser.add_argument("--skip-suite", action="store_true", help="skip the nbval run (suite_s becomes null)")
    parser.add_argument("--skip-make-test", action="store_true", help="skip timing make test (make_test_s: null)")
    args = parser.parse_args(argv)
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    load_at_start = os.getloadavg()
    kernels = run_ratios(args.repeats)
    kernels["digits_train_step"] = run_training_step()  # notebook 07's d2l step, normlab's vs torch's BatchNorm
    kernels["sync_batchnorm_2proc_fwd_bwd"] = run_sync()  # notebook 11: 2 gloo processes vs BatchNorm in one
    widget_ms, widgets = run_widgets(args.changes)
    suite_s, notebooks_s, summary = (None, {}, "skipped") if args.skip_suite else run_suite(ROOT, build)
    make_test_s, make_test_summary = (None, "skipped") if args.skip_make_test else make_test_seconds(ROOT)
    imports = import_seconds()
    result = {"ratios": {k: d["ratio"] for k, d in kernels.items()}, "widget_ms": widget_ms,
              "suite_s": suite_s, "notebooks_s": notebooks_s, "make_test_s": make_test_s,
              "import_s": imports["normlab"]}
    details = {"kernels": kernels, "widgets": widgets, "suite": summary, "make_test": make_test_summary,
               "imports": imports,
               "machine": {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
                           "python": platform.python_version(), "loadavg_at_start": load_at_start,
                           "loadavg_at_end": os.getloadavg()}}
    (build / "bench.json").write_text(json.dumps(result, indent=1) + "\n")
    (build / "bench-details.json").write_text(json.dumps(details, indent=1) + "\n")
    m = details["machine"]
    load = max(m["loadavg_at_start"][0], m["loadavg_at_end"][0])
    print(f"torch {m['torch']}, {m['threads']} threads, {m['cpus']} CPUs, 1-min load average "
          f"{m['loadavg_at_start'][0]:.1f} at start, {m['loadavg_at_end'][0]:.1f} at end")
    if load > (m["cpus"] or 1):
        print("WARNING: other processes were competing for the CPUs: times are inflated and ratios noisy; "
              "rerun on an idle machine for numbers to compare against the targets.")
    print(table(result, details))
    print(f"\nwrote {build / 'bench.json'} and {build / 'bench-details.json'}")


if __name__ == "__main__":
    main()
