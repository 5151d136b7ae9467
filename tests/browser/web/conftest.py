"""The course website, built once for the web tests (test_site.py, test_accessibility.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_lab import NOTEBOOKS
from browser_static import ASSETS, tool


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """make site, built from the notebooks into a temp dir (the notebooks must stay unchanged); its folder."""
    if not (ASSETS / ".stamp").exists():
        pytest.skip("offline web assets missing: run `make web-assets`")
    before = {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    index = tool("site").build_site(NOTEBOOKS, tmp_path_factory.mktemp("site"), ASSETS)
    assert {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")} == before, "building must only read"
    return index.parent
