"""Which torch this is, which torch the notebooks were tested with, and the rules that changed between versions."""

from __future__ import annotations

import re
import sys
from functools import lru_cache

import torch

__all__ = ["TESTED_TORCH", "OLDEST_TORCH", "torch_version", "is_tested_torch", "refuses_eps",
           "pairs_running_stats", "refuses_empty_group_norm", "rms_norm_upcasts", "versions_line", "untested_note"]

TESTED_TORCH = (2, 13)  # every stored output of the notebooks comes from torch 2.13.0
OLDEST_TORCH = (2, 4)  # the oldest torch make test-matrix runs (noxfile.py; README: "Which torch")


@lru_cache(maxsize=8)
def torch_version(version: str | None = None) -> tuple[int, int]:
    """(major, minor) of torch.__version__ (or of `version`), e.g. '2.13.0+cpu' -> (2, 13)."""
    match = re.match(r"(\d+)\.(\d+)", version or torch.__version__)
    if match is None:
        raise ValueError(f"cannot read a torch version from {version or torch.__version__!r}")
    return int(match[1]), int(match[2])


def is_tested_torch() -> bool:
    """Is this the torch whose numbers the notebooks show?"""
    return torch_version() == TESTED_TORCH


def refuses_eps(eps: float, training: bool, version: tuple[int, int] | None = None) -> bool:
    """Does this torch's batch_norm refuse this eps? The rule moved twice.

    Before 2.10 any eps ran. torch 2.10 and 2.11 refuse eps <= 0 in train and eval alike ("batch_norm eps must be
    positive"); from 2.12 on eps <= 0 is refused only in training, and a negative eps always.
    """
    v = torch_version() if version is None else version
    if v < (2, 10):
        return False
    if v < (2, 12):
        return eps <= 0
    return eps <= 0 if training else eps < 0


def pairs_running_stats(version: tuple[int, int] | None = None) -> bool:
    """Does batch_norm insist on running_mean and running_var together? From torch 2.8 on; before, training with
    only one of them updated that one."""
    return (torch_version() if version is None else version) >= (2, 8)


def refuses_empty_group_norm(version: tuple[int, int] | None = None) -> bool:
    """Does group_norm refuse zero channels or an empty H×W? From torch 2.14 on ("Expected number of channels to be
    greater than 0" / "Expected HxW to be greater than 0", checked before the groups divide C); up to 2.13, such an
    input gave an empty output."""
    return (torch_version() if version is None else version) >= (2, 14)


def rms_norm_upcasts(version: tuple[int, int] | None = None) -> bool:
    """Does rms_norm on a float16 input compute its statistics in float32? Not in torch 2.4, where x² overflows for
    |x| >= 256 (make test-matrix measures it); the fix (pytorch/pytorch#134106, August 2024) is in the releases
    after it."""
    return (torch_version() if version is None else version) >= (2, 5)


def versions_line() -> str:
    """'python 3.11 | torch 2.13.0+cpu | normlab 0.1.0': what a notebook's first cell prints."""
    from normlab import __version__

    return (f"python {sys.version_info.major}.{sys.version_info.minor} | torch {torch.__version__} | "
            f"normlab {__version__}")


def untested_note() -> str | None:
    """One line for a torch other than the tested one, None on the tested torch."""
    if is_tested_torch():
        return None
    tested = ".".join(map(str, TESTED_TORCH))
    return (f"note: the stored outputs come from torch {tested}; torch {torch.__version__} may word some of its own "
            "messages differently (make test-matrix found the same numbers on torch 2.4 to 2.15).")
