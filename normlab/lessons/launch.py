"""Start a few real torch.distributed processes (gloo on 127.0.0.1) from a notebook or a test, and always end them.

`launch(fn, world_size, *args)` spawns `world_size` fresh interpreters; each joins a gloo process group on a free
localhost port, with `collective_timeout` seconds for every collective, runs `fn(rank, world_size, *args)` and sends
back what it returns. The parent waits at most `timeout` seconds in all: a process that raises, dies or does not
finish becomes a `ProcessFailure` naming the rank and what happened, and every process still running is killed.
`fn` must live in a module (spawn imports it by name): notebook 11's workers are in normlab.lessons.shards.
"""

from __future__ import annotations

import datetime
import io
import os
import queue as queues
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

__all__ = ["free_port", "ProcessFailure", "launch"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProcessFailure(RuntimeError):
    """Some processes raised, died or did not finish in time: `failures` says what happened to each, `results` holds
    what the others returned."""

    def __init__(self, failures: dict[int, str], world_size: int, results: dict[int, Any] | None = None) -> None:
        self.failures, self.results = failures, results or {}
        lines = [f"{len(failures)} of {world_size} processes failed:"]
        lines += [f"rank {rank}: {what}" for rank, what in sorted(failures.items())]
        super().__init__("\n".join(lines))


def _worker(rank: int, world_size: int, port: int, fn: Callable, args: tuple, results: Any,
            collective_timeout: float, log: str) -> None:
    """One process: join the group, run fn, report its result (or its traceback), leave the group."""
    with open(log, "w") as out:  # the process's own prints and warnings go to its log, not into the notebook
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback only
    torch.set_num_threads(1)  # a few processes share two cores
    try:
        # Meeting the others may take a while (each process imports torch first): the rendezvous gets its own,
        # longer timeout; the process group's (every collective's) is collective_timeout.
        store = dist.TCPStore("127.0.0.1", port, world_size, rank == 0,
                              datetime.timedelta(seconds=max(60.0, collective_timeout)))
        dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size,
                                timeout=datetime.timedelta(seconds=collective_timeout))
        buffer = io.BytesIO()
        torch.save(fn(rank, world_size, *args), buffer)
        results.put((rank, True, buffer.getvalue()))
    except BaseException:  # noqa: BLE001 - whatever happened is reported to the parent, with its traceback
        results.put((rank, False, traceback.format_exc(limit=-3)))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _tail(log: Path, lines: int = 5) -> str:
    """The last lines a process printed, indented, or nothing."""
    text = log.read_text(errors="replace").strip() if log.exists() else ""
    return "" if not text else "\n  its last output:\n" + "\n".join("    " + t for t in text.splitlines()[-lines:])


def _collect(procs: list, results: Any, timeout: float) -> tuple[dict[int, Any], dict[int, str]]:
    """Read reports until every rank reported, one died, or time ran out (a failure shortens the wait)."""
    done, failures = {}, {}
    deadline = time.monotonic() + timeout
    while len(done) + len(failures) < len(procs) and time.monotonic() < deadline:
        try:
            rank, ok, payload = results.get(timeout=0.1)
        except queues.Empty:
            for rank, p in enumerate(procs):
                if p.exitcode not in (None, 0) and rank not in done and rank not in failures:
                    failures[rank] = f"the process exited with code {p.exitcode} before reporting"
            if failures:
                deadline = min(deadline, time.monotonic() + 3.0)  # the others' collectives fail soon after
            continue
        if ok:
            done[rank] = torch.load(io.BytesIO(payload), weights_only=False)
        else:
            failures[rank] = "raised\n" + payload.rstrip()
            deadline = min(deadline, time.monotonic() + 3.0)
    return done, failures


def launch(fn: Callable, world_size: int, *args: Any, timeout: float = 60.0,
           collective_timeout: float = 15.0) -> list[Any]:
    """Run fn(rank, world_size, *args) in world_size gloo processes; their results in rank order."""
    if world_size < 1:
        raise ValueError(f"world_size={world_size}: start at least one process.")
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="normlab-launch-") as logs:
        log = [Path(logs) / f"rank{rank}.log" for rank in range(world_size)]
        procs = [ctx.Process(target=_worker, args=(rank, world_size, port, fn, args, results, collective_timeout,
                                                   str(log[rank])), daemon=True) for rank in range(world_size)]
        for p in procs:
            p.start()
        done, failures = {}, {}
        try:
            done, failures = _collect(procs, results, timeout)
        finally:
            for rank, p in enumerate(procs):
                reported = rank in done or rank in failures
                p.join(timeout=2.0 if reported else 0.0)  # one that never reported is not waited for
                if p.is_alive():
                    p.kill()
                    p.join()
        for rank in range(world_size):
            if rank not in done and rank not in failures:
                failures[rank] = f"did not finish within {timeout:g} s (killed)"
        failures = {rank: what + ("" if "raised" in what else _tail(log[rank])) for rank, what in failures.items()}
    if failures:
        raise ProcessFailure(failures, world_size, done)
    return [done[rank] for rank in range(world_size)]
