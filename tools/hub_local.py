"""A JupyterHub on 127.0.0.1 for a class (make hub), and the parts tests/classroom and the load test share.

`python tools/hub_local.py serve build/hub` writes the student edition into a git repository (the course), starts
the hub (tools/hub/jupyterhub_config.py: a shared class password, one JupyterLab per student from this environment)
and prints the login and the nbgitpuller link that hands out the course. Ctrl-C stops the hub, and with it the
proxy, every student's server and their kernels; anything still alive then is killed by process id.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psutil
import requests
from ports import free_port, is_free
from student_edition import write_edition

__all__ = ["REPO", "PROXY", "COURSE", "Hub", "course_repo", "commit_all", "pull_link", "start_hub", "alive"]

REPO = Path(__file__).resolve().parents[1]
PROXY = REPO / ".venv" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE = "normlab-course"  # the course's folder in each student's home (and the repository's name)
CONFIG = Path(__file__).with_name("hub") / "jupyterhub_config.py"
GIT = ["git", "-c", "user.name=normlab instructor", "-c", "user.email=instructor@normlab.invalid",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]


def commit_all(repo: Path, message: str) -> None:
    """Commit every change in the course repository (the instructor publishing an update), if there is any."""
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True, capture_output=True)
    if not subprocess.run([*GIT, "-C", str(repo), "status", "--porcelain"], check=True, capture_output=True).stdout:
        return
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", message], check=True, capture_output=True)


def course_repo(notebooks: Path, repo: Path) -> Path:
    """A git repository (branch main) holding the student edition of `notebooks`, as an instructor publishes it."""
    write_edition(notebooks, repo)
    if not (repo / ".git").exists():
        subprocess.run([*GIT, "init", "-q", str(repo)], check=True, capture_output=True)
    commit_all(repo, "the student edition of the normlab course")
    return repo


def pull_link(hub_url: str, repo: Path, notebook: str = "00_one_idea_normalize.ipynb") -> str:
    """The nbgitpuller link a student clicks: log in, clone or merge the course, open `notebook` in JupyterLab."""
    query = urllib.parse.urlencode({"repo": repo.resolve().as_uri(), "branch": "main", "targetpath": COURSE,
                                    "urlpath": f"lab/tree/{COURSE}/{notebook}"})
    return f"{hub_url}/hub/user-redirect/git-pull?{query}"


class Hub:
    """A running hub: its URL, class password, state folder and process; stop() ends it and everything it started."""

    def __init__(self, process: subprocess.Popen, url: str, password: str, state: Path) -> None:
        self.process, self.url, self.password, self.state = process, url, password, state
        self.repo: Path | None = None  # the course repository it hands out, once one is set
        self.seen: dict[int, float] = {}  # every process the hub started, gathered while it ran: pid -> start time

    def processes(self) -> list[psutil.Process]:
        """The hub's process tree now: the proxy, each student's server and their kernels (recorded in `seen`)."""
        try:
            tree = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.seen.setdefault(proc.pid, proc.create_time())
        return tree

    def stop(self, timeout: float = 30) -> list[str]:
        """SIGTERM the hub (it stops the proxy and the servers), wait, kill what is left; return what was killed."""
        self.processes()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        deadline, left = time.monotonic() + 10, []
        while time.monotonic() < deadline:
            left = [p for p in (alive(pid, created) for pid, created in self.seen.items()) if p is not None]
            if not left:
                return []
            time.sleep(0.2)
        named = []
        for proc in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                named.append(f"{proc.pid} {proc.name()}")
                proc.kill()
        return named


def alive(pid: int, created: float | None = None) -> psutil.Process | None:
    """The process if it still runs (not a zombie) and, given `created`, is the one started then (not a reused id)."""
    try:
        proc = psutil.Process(pid)
        same = created is None or proc.create_time() == created
        return proc if same and proc.status() != psutil.STATUS_ZOMBIE else None
    except psutil.NoSuchProcess:
        return None


def start_hub(state: Path, password: str | None = None, port: int | None = None, timeout: float = 60) -> Hub:
    """Start JupyterHub with its state in `state`; return once its API answers (the log is state/jupyterhub.log)."""
    if not PROXY.exists():
        raise RuntimeError(f"the hub's proxy is not installed ({PROXY}): `make hub` and `make test-class` install it")
    state.mkdir(parents=True, exist_ok=True)
    password, port = password or secrets.token_urlsafe(12), port or free_port()
    env = {**os.environ, "NORMLAB_HUB_STATE": str(state.resolve()), "NORMLAB_HUB_PASSWORD": password,
           "NORMLAB_HUB_PROXY": str(PROXY), "NORMLAB_HUB_PORT": str(port),
           "NORMLAB_HUB_HUB_PORT": str(free_port()), "NORMLAB_HUB_API_PORT": str(free_port())}
    with (state / "jupyterhub.log").open("w") as log:  # the child keeps its own handle on the log
        process = subprocess.Popen([str(Path(sys.executable).with_name("jupyterhub")), "-f", str(CONFIG)],
                                   cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT)
    hub = Hub(process, f"http://127.0.0.1:{port}", password, state)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited at start ({process.returncode}); see {state}/jupyterhub.log")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{hub.url}/hub/api/", timeout=2).ok:
                    hub.processes()
                    return hub
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer within {timeout:.0f} s; see {state}/jupyterhub.log")
    except BaseException:
        hub.stop()
        raise


def _class_settings(state: Path) -> dict:
    """The class's address and password, kept in the state folder so a restarted hub keeps the link handed out."""
    path = state / "class.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    if not saved.get("port") or not is_free(saved["port"]):
        saved["port"] = free_port()
    saved.setdefault("password", secrets.token_urlsafe(12))
    state.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved))
    return saved


def serve(build: Path) -> None:
    """make hub: the course repository, the hub, the link to hand out; runs until Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a SIGTERM stops the class as Ctrl-C does
    repo = course_repo(REPO / "notebooks", build / COURSE)
    settings = _class_settings(build / "state")
    hub = start_hub(build / "state", settings["password"], settings["port"])
    print(f"JupyterHub for the class: {hub.url}  (127.0.0.1 only)\n"
          f"  class password: {hub.password}   (any user name; each name is a student of its own)\n"
          f"  the course, as a git repository: {repo}\n"
          f"  the link to hand out (clones the course, later merges updates, keeps the student's edits):\n"
          f"    {pull_link(hub.url, repo)}\n"
          f"  to publish an update: edit notebooks/, stop this hub and run `make hub` again (same address and\n"
          f"  password while the port stays free); students click the same link\n"
          f"Ctrl-C stops the hub, the students' servers and their kernels.", flush=True)
    try:
        while hub.process.poll() is None:
            time.sleep(1)
            hub.processes()
        print(f"JupyterHub ended by itself (code {hub.process.returncode}); see {hub.state / 'jupyterhub.log'}")
    except KeyboardInterrupt:
        print("\nstopping the hub ...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abandon the servers mid-stop
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        killed = hub.stop()
        print("stopped" + (f"; killed what was left: {killed}" if killed else "; every process ended"))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "serve":
        sys.exit("usage: python tools/hub_local.py serve BUILD_DIR   (make hub)")
    try:
        serve(Path(sys.argv[2]))
    except (RuntimeError, ValueError) as exc:
        sys.exit(f"make hub: {exc}")
