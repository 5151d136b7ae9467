"""Test-wide settings: a non-interactive matplotlib backend and a fixed thread count for reproducible sums."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
