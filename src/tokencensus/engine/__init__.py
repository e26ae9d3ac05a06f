"""Engines: where the study's Ibis expressions run.

``connect(name)`` returns an Ibis backend; :func:`engine_of` gives the matching
:class:`Engine` adapter, whose methods hold every engine difference (reading
Parquet, loading Arrow, materializing intermediate tables, the SQL dialect).
Each engine lives in its own module and only that module imports the engine's
optional library, so a missing extra fails with a message naming it.
"""

from __future__ import annotations

import importlib
from typing import Any

import ibis

from tokencensus.engine.base import Engine
from tokencensus.errors import EngineError, did_you_mean

__all__ = ["ENGINES", "Engine", "connect", "display_name", "engine_of", "get_engine"]

#: Engine name -> module implementing it (each module defines ``ENGINE``).
ENGINES: dict[str, str] = {
    "duckdb": "tokencensus.engine.duckdb",
    "spark": "tokencensus.engine.spark",
}


def get_engine(name: str) -> Engine:
    """The adapter for an engine name."""
    if name not in ENGINES:
        raise EngineError(
            f"Unknown engine {name!r}.{did_you_mean(name, ENGINES)} "
            f"Available engines: {', '.join(ENGINES)}."
        )
    module = importlib.import_module(ENGINES[name])
    engine: Engine = module.ENGINE
    return engine


def connect(name: str = "duckdb", **options: Any) -> ibis.BaseBackend:
    """An Ibis backend for ``name`` ('duckdb' by default; in memory unless ``database=``)."""
    return get_engine(name).connect(**options)


def engine_of(backend: ibis.BaseBackend) -> Engine:
    """The adapter for a backend returned by :func:`connect`."""
    for name in ENGINES:
        engine = get_engine(name)
        if engine.backend_name == backend.name:
            return engine
    raise EngineError(f"No tokencensus engine runs on Ibis backend {backend.name!r}.")


def display_name(name: str) -> str:
    """How the report names an engine recorded as ``name`` (an engine or Ibis backend name).

    A name no registered engine answers to (a manifest written elsewhere) is shown as is.
    """
    for engine_name in ENGINES:
        engine = get_engine(engine_name)
        if name in (engine.name, engine.backend_name):
            return engine.display_name
    return name
