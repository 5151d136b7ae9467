"""A student on the hub, driven through its real HTTP and websocket APIs (tests/classroom, benchmarks/hub_load).

Login is the hub's own form (with its XSRF cookie); the token the student then asks for carries only their own
rights. The course arrives through nbgitpuller's API in their server; a notebook runs cell by cell in a kernel of
their server over the Jupyter kernel protocol (the websocket JupyterLab itself uses), never in this process.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import nbformat
import psutil
import requests
import websocket

__all__ = ["CellRun", "NotebookRun", "Student"]


@dataclass
class CellRun:
    """One code cell run in the student's kernel: its outputs as nbformat dicts, and any error."""

    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def text(self) -> str:
        """Everything the cell printed or returned, as plain text."""
        parts = [o.get("text", "") if o["output_type"] == "stream" else o.get("data", {}).get("text/plain", "")
                 for o in self.outputs]
        return "".join(parts)


@dataclass
class NotebookRun:
    """A notebook's Run All: each code cell's result, the wall time, the kernel's process id and working folder."""

    cells: list[CellRun]
    seconds: float
    kernel_pid: int | None
    kernel_cwd: str | None


class Student:
    """One student: logs in with the class password, starts their server, pulls the course, runs notebooks."""

    def __init__(self, hub_url: str, name: str, timeout: float = 120) -> None:
        self.hub, self.name, self.timeout = hub_url, name, timeout
        self.http = requests.Session()
        self.token = ""

    @property
    def server(self) -> str:
        """The base URL of the student's own JupyterLab server, behind the hub's proxy."""
        return f"{self.hub}/user/{self.name}"

    def _auth(self) -> dict[str, str]:
        """The header that carries the student's API token."""
        return {"Authorization": f"token {self.token}"}

    def login(self, password: str) -> None:
        """Log in through the hub's form, then ask the hub for an API token of the student's own."""
        self.http.get(f"{self.hub}/hub/login", timeout=self.timeout).raise_for_status()
        xsrf = self.http.cookies.get("_xsrf", path="/hub/")
        reply = self.http.post(f"{self.hub}/hub/login?next=", data={"username": self.name, "password": password,
                               "_xsrf": xsrf}, allow_redirects=False, timeout=self.timeout)
        if reply.status_code != 302 or "jupyterhub-session-id" not in self.http.cookies:
            raise RuntimeError(f"{self.name}: the hub refused the login ({reply.status_code})")
        xsrf = self.http.cookies.get("_xsrf", path="/hub/")  # logging in issues a new one, tied to the session
        reply = self.http.post(f"{self.hub}/hub/api/users/{self.name}/tokens", headers={"X-XSRFToken": xsrf},
                               json={"note": "normlab class test", "expires_in": 3600}, timeout=self.timeout)
        reply.raise_for_status()
        self.token = reply.json()["token"]

    def start_server(self) -> None:
        """Ask the hub to start the student's server and wait until it is ready."""
        reply = requests.post(f"{self.hub}/hub/api/users/{self.name}/server", headers=self._auth(), timeout=30)
        if reply.status_code not in (201, 202, 400):  # 400: already running
            reply.raise_for_status()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            model = requests.get(f"{self.hub}/hub/api/users/{self.name}", headers=self._auth(), timeout=30).json()
            if model.get("servers", {}).get("", {}).get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}: the server was not ready within {self.timeout:.0f} s")

    def pull(self, repo_uri: str, target: str, branch: str = "main") -> list[dict]:
        """nbgitpuller's API in the student's server: clone or merge the course into `target`; return its events."""
        reply = requests.get(f"{self.server}/git-pull/api", params={"repo": repo_uri, "branch": branch,
                             "targetpath": target}, headers=self._auth(), stream=True, timeout=self.timeout)
        reply.raise_for_status()
        events = [json.loads(line[5:]) for line in reply.iter_lines(decode_unicode=True) if line.startswith("data:")]
        if not events or events[-1].get("phase") != "finished":
            raise RuntimeError(f"{self.name}: nbgitpuller did not finish: {events[-3:]}")
        return events

    def read(self, path: str) -> nbformat.NotebookNode:
        """A notebook from the student's folder, through the contents API."""
        reply = requests.get(f"{self.server}/api/contents/{path}", headers=self._auth(), timeout=30)
        reply.raise_for_status()
        return nbformat.from_dict(reply.json()["content"])

    def save(self, path: str, nb: nbformat.NotebookNode) -> None:
        """Save a notebook into the student's folder, as JupyterLab's save does."""
        reply = requests.put(f"{self.server}/api/contents/{path}", headers=self._auth(), timeout=30,
                             json={"type": "notebook", "format": "json", "content": nb})
        reply.raise_for_status()

    def run(self, path: str) -> NotebookRun:
        """Run All: start a kernel in the notebook's folder, run each code cell in order, shut the kernel down."""
        nb = self.read(path)
        reply = requests.post(f"{self.server}/api/sessions", headers=self._auth(), timeout=60, json={
            "path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}})
        reply.raise_for_status()
        session = reply.json()
        kernel = session["kernel"]["id"]
        ws_url = f"{self.server.replace('http', 'ws', 1)}/api/kernels/{kernel}/channels"
        conn = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"], timeout=600)
        try:
            pid = _kernel_pid(kernel)
            cwd = psutil.Process(pid).cwd() if pid else None
            start = time.monotonic()
            cells = []
            for cell in (c for c in nb.cells if c.cell_type == "code"):
                cells.append(_execute(conn, cell.source))
                if cells[-1].error:
                    break
            seconds = time.monotonic() - start
        finally:
            conn.close()
            requests.delete(f"{self.server}/api/sessions/{session['id']}", headers=self._auth(), timeout=60)
        return NotebookRun(cells, seconds, pid, cwd)


def _kernel_pid(kernel_id: str) -> int | None:
    """The process id of the kernel with this id (the hub runs on this machine: its connection file names it)."""
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if any(f"kernel-{kernel_id}.json" in part for part in proc.info["cmdline"] or []):
            return proc.info["pid"]
    return None


def _execute(conn: websocket.WebSocket, code: str) -> CellRun:
    """Send one execute_request and collect its outputs until the kernel is idle and has replied."""
    msg_id = uuid.uuid4().hex
    conn.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "student", "session": msg_id,
                   "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    run, idle, replied = CellRun(), False, False
    while not (idle and replied):
        msg = json.loads(conn.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            idle = True
        elif kind == "execute_reply":
            replied = True
            if content["status"] != "ok":
                run.error = run.error or f"{content.get('ename')}: {content.get('evalue')}"
        elif kind in ("stream", "execute_result", "display_data", "error"):
            run.outputs.append({"output_type": kind, **content})
            if kind == "error":
                run.error = f"{content['ename']}: {content['evalue']}"
    return run
