"""Progress reporting: the callbacks long stages call (the CLI draws them with rich)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Reporter", "SilentReporter"]


class Reporter(Protocol):
    """A stage starts (with a total when known), advances, finishes."""

    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def finish(self) -> None: ...


class SilentReporter:
    """Reports nothing (library use, tests)."""

    def start(self, stage: str, total: int | None = None) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None
