"""Source adapters: one module per native log format, all with the same function names.

See :mod:`tokencensus.ingest.sources.base` for the contract.  Modules are imported on
first use, so an optional driver (psycopg for PostgreSQL) is imported only by the
adapter that needs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tokencensus.errors import ConfigError, did_you_mean

__all__ = ["SOURCES", "get_source"]

#: format name -> module (the order is the one ``--help`` lists).
SOURCES: dict[str, str] = {
    "openrouter": "tokencensus.ingest.sources.openrouter",
    "litellm": "tokencensus.ingest.sources.litellm",
    "langfuse": "tokencensus.ingest.sources.langfuse",
    "otel": "tokencensus.ingest.sources.otel",
    "conversations": "tokencensus.ingest.sources.conversations",
    "table": "tokencensus.ingest.sources.table",
}


def get_source(name: str) -> ModuleType:
    """The adapter module for a format name."""
    key = name.strip().lower()
    if key not in SOURCES:
        raise ConfigError(
            f"Unknown format {name!r}.{did_you_mean(key, SOURCES)} "
            f"Known formats: {', '.join(SOURCES)}."
        )
    return importlib.import_module(SOURCES[key])
