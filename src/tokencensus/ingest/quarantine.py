"""Rejected records: where they were, what was wrong, and the record itself.

Every record that cannot be loaded is written, with its reasons, as one JSON line
to ``quarantine.jsonl`` in the output folder, so nothing is ever lost: fix the
records and load the quarantine file again (its ``record`` objects are JSONL in
the canonical schema once fixed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

__all__ = ["FieldError", "QuarantineWriter", "Rejection"]


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


@dataclass(frozen=True)
class Rejection:
    """One rejected record. ``unit`` is 'line' for text formats, 'row' for Parquet."""

    file: str
    position: int
    unit: str
    errors: tuple[FieldError, ...]
    record: Any = None

    @property
    def field(self) -> str:
        return self.errors[0].field

    @property
    def reason(self) -> str:
        return self.errors[0].reason

    def message(self) -> str:
        first = f"{self.file} {self.unit} {self.position}, field '{self.field}': {self.reason}"
        more = len(self.errors) - 1
        return first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            self.unit: self.position,
            "field": self.field,
            "reason": self.reason,
            "errors": [{"field": e.field, "reason": e.reason} for e in self.errors],
            "record": self.record,
        }


def _default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


@dataclass
class QuarantineWriter:
    """Appends rejections to a JSONL file, created on the first rejection only."""

    path: Path
    count: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    max_examples: int = 20
    _fh: IO[str] | None = None

    def write(self, rejection: Rejection) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
        self._fh.write(json.dumps(rejection.to_json(), default=_default, ensure_ascii=False))
        self._fh.write("\n")
        self.count += 1
        key = f"{rejection.field}: {_reason_kind(rejection.reason)}"
        self.by_reason[key] = self.by_reason.get(key, 0) + 1
        if len(self.examples) < self.max_examples:
            self.examples.append(rejection.message())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> QuarantineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason_kind(reason: str) -> str:
    """The reason without the offending value, for counting ('not an integer: 12.5' -> 'not an integer')."""
    for sep in (": ", " '", " ("):
        if sep in reason:
            reason = reason.split(sep, 1)[0]
    return reason
