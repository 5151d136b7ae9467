"""The project's tools (tools/*.py, scripts rather than a package) loaded by path, for the tests that exercise them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

__all__ = ["TOOLS", "tool"]

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def tool(name: str) -> Any:
    """tools/<name>.py as a module (tools/ is not a package; its scripts import each other by name)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location(f"tools_{name}", TOOLS / f"{name}.py")  # never shadows `site`
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would: dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
