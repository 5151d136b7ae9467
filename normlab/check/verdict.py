"""The two values the checkers deal in: an Outcome an answer may match, and the Verdict shown to the learner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "Verdict"]


@dataclass(frozen=True)
class Outcome:
    """A value an answer may equal, and the mistakes that produce it (none for the right answer)."""

    value: Any
    mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """The checker's answer: ok, the mistakes recognised and a message shown as the cell's output."""

    ok: bool
    message: str
    mistakes: tuple[str, ...] = ()

    @classmethod
    def right(cls, name: str, text: str) -> Verdict:
        """'✓ name: text'."""
        return cls(True, f"✓ {name}: {text}")

    @classmethod
    def wrong(cls, name: str, text: str, mistakes: tuple[str, ...]) -> Verdict:
        """'✗ name: text', with the mistakes it recognised (a question ends the text without a full stop)."""
        return cls(False, f"✗ {name}: {text[:-1] if text.endswith('?.') else text}", mistakes)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__
