"""What `import normlab` costs on top of torch, measured in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.timing import median

__all__ = ["STAGES", "import_seconds"]

# Imported in this order in one fresh interpreter; each stage is timed on its own, so a stage excludes
# everything the stages before it already loaded (normlab's cost is measured with torch already in).
STAGES = ("torch", "normlab", "normlab.functional, normlab.nn", "normlab.widgets")

_PROBE = """
import json, time
out = {}
for stage in %r:
    start = time.perf_counter()
    exec("import " + stage)
    out[stage] = time.perf_counter() - start
print(json.dumps(out))
"""


def import_seconds(runs: int = 5) -> dict[str, float]:
    """Median seconds per stage over `runs` fresh interpreters."""
    samples = [json.loads(subprocess.run([sys.executable, "-c", _PROBE % (STAGES,)], check=True,
                                         capture_output=True, text=True).stdout) for _ in range(runs)]
    return {stage: median([s[stage] for s in samples]) for stage in STAGES}
