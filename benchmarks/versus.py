"""`python -m benchmarks.versus REV`: the kernel ratios of normlab at git revision REV and of this tree, side by side.

Both trees are measured in one run: child processes alternate between the two (each child times its normlab
against the same torch, interleaved, as `make bench` does), so load from other processes hits both alike. Used to
check that a change keeps the fast path's speed (a row more than 10% worse is flagged).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.timing import median

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
_CHILD = """
import json, sys, torch
import normlab
assert normlab.__file__.startswith(sys.argv[3]), normlab.__file__  # the tree under test, not the installed one
torch.set_num_threads(int(sys.argv[2]))
from benchmarks.kernels import CASES, case_times
out = {}
for name, case in CASES.items():
    if sys.argv[4] and name not in sys.argv[4].split(","):
        continue
    ours, theirs = case_times(case, int(sys.argv[1]))
    out[name] = sorted(a / b for a, b in zip(ours, theirs))[len(ours) // 2]
print(json.dumps(out))
"""


def _ratios(tree: Path, repeats: int, threads: int, only: str = "") -> dict[str, float]:
    """One child process: normlab from `tree` (its benchmarks too) against torch."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(repeats), str(threads), str(tree), only], cwd=tree, env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> None:
    """Check out REV in build/versus-REV (a git worktree), then alternate measurements of it and of this tree."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rev", help="the git revision to compare against, e.g. HEAD~3 or a commit id")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (each: old tree, then new)")
    parser.add_argument("--repeats", type=int, default=11, help="interleaved repeats per case in each round")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated case names (default: every case)")
    args = parser.parse_args(argv)
    old = ROOT / "build" / f"versus-{args.rev.replace('/', '_')}"
    if not old.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.rev], cwd=ROOT, check=True,
                       capture_output=True)
    samples: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        samples["old"].append(_ratios(old, args.repeats, args.threads, args.only))
        samples["new"].append(_ratios(ROOT, args.repeats, args.threads, args.only))
    print(f"| kernel | ratio at {args.rev} | ratio now | change | within 10% |\n|---|---|---|---|---|")
    for name in samples["new"][0]:
        now = median([s[name] for s in samples["new"]])
        before = [s[name] for s in samples["old"] if name in s]
        if not before:
            print(f"| {name} | (new row) | {now:.2f} | - | - |")
            continue
        was = median(before)
        ok = "yes" if now <= 1.1 * was else "NO"
        print(f"| {name} | {was:.2f} | {now:.2f} | {100 * (now / was - 1):+.0f}% | {ok} |")


if __name__ == "__main__":
    main()
