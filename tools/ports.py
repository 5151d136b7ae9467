"""TCP ports on 127.0.0.1 for the servers the tools and tests start (JupyterLab, Voilà, the hub and its proxy)."""

from __future__ import annotations

import socket

__all__ = ["free_port", "is_free"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port now (so a server started again can keep its address)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
