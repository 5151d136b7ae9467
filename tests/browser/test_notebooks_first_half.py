"""The first half of the notebooks, run and driven in a real JupyterLab (the other half runs on the other worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_lab import LabServer
from browser_notebook import HALVES, check_notebook


@pytest.mark.parametrize("notebook", HALVES[0])
def test_notebook_in_jupyterlab(notebook: str, lab: LabServer, page: Any, screenshots: Path) -> None:
    """Run All, then change each widget control as a person would and compare with the probe kernel's result."""
    check_notebook(notebook, lab, page, screenshots)
