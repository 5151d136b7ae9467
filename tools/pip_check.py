"""`pip check`, except for d2l's own 2023 pins, which the environment skips on purpose (requirements-nodeps.txt)."""

from __future__ import annotations

import subprocess
import sys

SKIPPED = ("d2l 1.0.3 ",)  # every line of pip check about these distributions is expected


def main() -> int:
    """Run pip check; print and fail on every broken requirement that is not d2l's."""
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    broken = [line for line in lines if not line.startswith(SKIPPED) and not line.startswith("No broken")]
    skipped = [line for line in lines if line.startswith(SKIPPED)]
    if broken:
        print("pip check found broken requirements:", *broken, sep="\n  ")
        return 1
    print(f"pip check: clean apart from d2l 1.0.3's declared pins ({len(skipped)} lines, skipped on purpose: "
          "requirements-nodeps.txt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
