"""One exception tree. Every message says what was wrong, what was seen, and what to do.

The CLI maps :class:`TokencensusError` to a one-paragraph message and exit code 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CatalogError",
    "ConfigError",
    "EngineError",
    "InputError",
    "MissingExtraError",
    "ReportError",
    "TokencensusError",
    "did_you_mean",
]


class TokencensusError(Exception):
    """Base of every error tokencensus raises on purpose."""


class InputError(TokencensusError):
    """Input that cannot be used at all (missing file, unreadable format, no usable rows)."""


class CatalogError(TokencensusError):
    """A model catalog file that cannot be read or is inconsistent."""


class EngineError(TokencensusError):
    """An engine that cannot be reached or does not exist."""


class MissingExtraError(EngineError):
    """An optional dependency is not installed."""

    def __init__(self, what: str, extra: str, module: str) -> None:
        super().__init__(
            f"{what} needs the optional package '{module}', which is not installed. "
            f"Install it with: pip install 'tokencensus[{extra}]'"
        )


class ConfigError(TokencensusError):
    """A bad option value."""


class ReportError(TokencensusError):
    """The report could not be written."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """' Did you mean X?' when a close choice exists, else ''."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" Did you mean {close[0]}?" if close else ""
