"""Fetch the pinned JavaScript and fonts for the slides, the site and the accessibility check from npm, once.

The pins are in tools/web-assets.lock.

Usage: python tools/web_assets.py DEST    (make web-assets; DEST is .venv/web-assets)
Each tarball comes from `npm pack`, is checked against the integrity in the lock, and only the listed paths are kept.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["read_lock", "fetch"]

LOCK = Path(__file__).with_name("web-assets.lock")


def read_lock(path: Path = LOCK) -> list[tuple[str, str, list[str]]]:
    """(package@version, integrity, kept paths) for every line of the lock."""
    entries = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            spec, integrity, *paths = line.split()
            entries.append((spec, integrity, paths))
    return entries


def _integrity(tarball: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def fetch(dest: Path) -> None:
    """Download, verify and unpack every locked package into dest/<package name>/."""
    if shutil.which("npm") is None:
        sys.exit("make web-assets needs npm (Debian: apt-get install npm) to fetch reveal.js, MathJax, require.js")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec, integrity, paths in read_lock():
            out = subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, spec],
                                 check=True, capture_output=True, text=True).stdout.split()
            tarball = work / out[-1]
            if _integrity(tarball) != integrity:
                sys.exit(f"{spec}: the registry's tarball does not match the integrity in {LOCK.name}")
            name = spec.rsplit("@", 1)[0]
            unpacked = work / name.replace("/", "_")
            with tarfile.open(tarball) as tar:
                tar.extractall(unpacked, filter="data")
            target = dest / name
            shutil.rmtree(target, ignore_errors=True)
            for rel in paths:
                src, dst = unpacked / "package" / rel, target / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
            print(f"web-assets: {spec} -> {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    fetch(Path(sys.argv[1]))
