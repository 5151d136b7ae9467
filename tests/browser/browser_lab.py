"""A throwaway JupyterLab: 127.0.0.1, a free port, a random token, every Jupyter dir inside one temp dir."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.tooling import tool

__all__ = ["LabServer", "start_lab", "free_port", "REPO", "NOTEBOOKS"]

free_port = tool("ports").free_port  # one definition for tools and tests (tools/ports.py)

REPO = Path(__file__).resolve().parents[2]
# NORMLAB_BROWSER_NOTEBOOKS points the tests at another folder (to try the machinery on a scratch notebook).
NOTEBOOKS = Path(os.environ.get("NORMLAB_BROWSER_NOTEBOOKS", REPO / "notebooks"))

# User settings written before start: every cell stays in the DOM (so "all cells present" and a full-page
# screenshot mean something; no blank scroll-past-end), and JupyterLab never asks about or fetches news and updates.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False, "fetchNews": "false"},
}


@dataclass
class LabServer:
    """A running JupyterLab process and how to reach it."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path

    @property
    def base_url(self) -> str:
        """The server's URL without the token."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, query: str = "") -> str:
        """URL of a path on the server, with the token (and an optional extra query string)."""
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}" + (f"&{query}" if query else "")

    def notebook_url(self, name: str) -> str:
        """A notebook opened in its own fresh workspace, so no tab from an earlier notebook is restored."""
        workspace = re.sub(r"[^A-Za-z0-9]+", "-", Path(name).stem)
        return self.url(f"lab/workspaces/{workspace}/tree/{name}", "reset")

    def shutdown_kernels(self) -> None:
        """Shut down every kernel the server runs (each notebook opened in the browser started one)."""
        with urllib.request.urlopen(self.url("api/kernels"), timeout=10) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")
            with urllib.request.urlopen(request, timeout=30):
                pass

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server log (for failure messages)."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _isolated_env(tmp: Path) -> dict[str, str]:
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "IPYTHONDIR": "ipython",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
    }
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # tests/conftest.py sets Agg; a learner's `make lab` has the inline backend
    for var, name in dirs.items():
        (tmp / name).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / name)
    for rel, values in SETTINGS.items():
        path = tmp / "settings" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return env


def start_lab(notebooks: Path, tmp: Path, timeout: float = 90) -> LabServer:
    """Copy `notebooks` into `tmp` and serve the copy; return once the API answers."""
    root = tmp / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    port, token, log = free_port(), secrets.token_hex(24), tmp / "jupyterlab.log"
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=tmp, env=_isolated_env(tmp), stdout=out, stderr=subprocess.STDOUT)
    server = LabServer(process, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url("api/status"), timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}")
